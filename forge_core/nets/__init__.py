"""Neural volatility networks: feature scaling and windows, layers, architectures, losses and one trainer.

Nothing here knows about ``VolatilityModel``; ``forge_core.models.torch_model`` wraps these behind it."""

from forge_core.nets.architectures import (
    MLPNet,
    RecurrentNet,
    TCNNet,
    TransformerNet,
    VolNet,
    initialise_output,
)
from forge_core.nets.inputs import Scaler, windows
from forge_core.nets.trainer import TrainConfig, TrainResult, train
from forge_core.nets.training_losses import pinball, point_loss, total_loss
from forge_core.quantiles import QUANTILE_LEVELS

__all__ = [
    "QUANTILE_LEVELS",
    "MLPNet",
    "RecurrentNet",
    "Scaler",
    "TCNNet",
    "TrainConfig",
    "TrainResult",
    "TransformerNet",
    "VolNet",
    "initialise_output",
    "pinball",
    "point_loss",
    "total_loss",
    "train",
    "windows",
]
