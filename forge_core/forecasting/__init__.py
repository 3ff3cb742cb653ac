"""Walk-forward forecasting: refits per window and symbol, the training panel and the forecast store.

- ``walk_forward``: purged refits per window and symbol (``fit_symbol``, which the live fit shares),
  out-of-sample forecasts of every day of the window;
- ``panel``: the training panel read (features joined with one target);
- ``forecast_store``: partition writes of ``forecasts`` and ``model_fits``, reads of realised forecasts;
- ``restarts``: the days too soon after a gap for complete inputs.

The ``Forecast`` result object every model returns lives beside the model contract (``forge_core.models.forecast``).
"""

from forge_core.forecasting.forecast_store import load_features_with_regime, load_member_history, write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import (
    ShortHistory,
    TrainingScheme,
    WindowResult,
    fit_symbol,
    forecast_window,
    walk_forward,
)

__all__ = [
    "ShortHistory",
    "TrainingScheme",
    "WindowResult",
    "fit_symbol",
    "forecast_window",
    "load_features_with_regime",
    "load_member_history",
    "load_panel",
    "walk_forward",
    "write_window",
]
