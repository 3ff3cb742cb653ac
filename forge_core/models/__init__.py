"""Volatility forecasting models behind one interface (``VolatilityModel``), created by family name."""

from forge_core.models.base import ForecastTask, Runtime, VolatilityModel
from forge_core.models.ewma import EwmaModel
from forge_core.models.garch import GarchModel, GjrGarchModel
from forge_core.models.har import HarModel
from forge_core.models.log_har import LogHarModel
from forge_core.models.random_walk import RandomWalkModel
from forge_core.models.registry import (
    MODEL_REGISTRY,
    configured_variants,
    create_model,
    families,
    load_model,
    model_class,
    variant_params,
)
from forge_core.models.torch_model import (
    GRUModel,
    LSTMModel,
    MLPModel,
    TCNModel,
    TorchModel,
    TransformerModel,
)

__all__ = [
    "MODEL_REGISTRY",
    "EwmaModel",
    "ForecastTask",
    "GRUModel",
    "GarchModel",
    "GjrGarchModel",
    "HarModel",
    "LSTMModel",
    "LogHarModel",
    "MLPModel",
    "RandomWalkModel",
    "Runtime",
    "TCNModel",
    "TorchModel",
    "TransformerModel",
    "VolatilityModel",
    "configured_variants",
    "create_model",
    "families",
    "load_model",
    "model_class",
    "variant_params",
]
