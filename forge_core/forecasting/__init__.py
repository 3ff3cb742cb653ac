"""The forecasting hub every forecasting capability imports (ensembles, intervals, monitoring, risk, backtests).

- ``result``: the ``Forecast`` result object every model returns;
- ``walk_forward``: purged refits per window and symbol, out-of-sample forecasts of every day of the window;
- ``panel``: the training panel read (features joined with one target);
- ``forecast_store``: partition writes of ``forecasts`` and ``model_fits``, reads of realised forecasts.

Import the modules themselves: this package imports nothing, so that the models can use ``result`` without
pulling in the walk-forward that uses them.
"""
