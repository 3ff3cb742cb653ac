"""Walk-forward forecasting: refits per window and symbol, the training panel and the forecast store.

- ``walk_forward``: purged refits per window and symbol, out-of-sample forecasts of every day of the window;
- ``panel``: the training panel read (features joined with one target);
- ``forecast_store``: partition writes of ``forecasts`` and ``model_fits``, reads of realised forecasts.

The ``Forecast`` result object every model returns lives beside the model contract (``forge_core.models.forecast``).
Import the modules themselves: this package imports nothing.
"""
