"""Volatility forecasting models behind one interface (``VolatilityModel``), created by family name."""

from forge_core.models.base import DEFAULT_LEVELS, ForecastTask, Runtime, VolatilityModel, quantile_label
from forge_core.models.ewma import EwmaModel
from forge_core.models.garch import GarchModel, GjrGarchModel
from forge_core.models.har import HarModel
from forge_core.models.log_har import LogHarModel
from forge_core.models.random_walk import RandomWalkModel
from forge_core.models.registry import MODEL_REGISTRY, create_model, load_model, model_class

__all__ = [
    "DEFAULT_LEVELS",
    "MODEL_REGISTRY",
    "EwmaModel",
    "ForecastTask",
    "GarchModel",
    "GjrGarchModel",
    "HarModel",
    "LogHarModel",
    "RandomWalkModel",
    "Runtime",
    "VolatilityModel",
    "create_model",
    "load_model",
    "model_class",
    "quantile_label",
]
