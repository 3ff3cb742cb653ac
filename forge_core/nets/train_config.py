"""How a net is trained (not what), without torch: a torch model checks its settings here when it is created;
only fitting (``forge_core.nets.trainer``) imports torch."""

from __future__ import annotations

from dataclasses import dataclass

SCHEDULES = ("cosine", "onecycle", "plateau")
POINT_LOSSES = ("qlike", "log_mse")


@dataclass(frozen=True)
class TrainConfig:
    """How to train (not what): the optimiser, schedule and stopping rule."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    schedule: str
    patience: int
    clip: float  # max gradient norm; <= 0 turns clipping off
    accumulate: int  # mini-batches per optimiser step
    loss: str
    quantile_weight: float
    seed: int

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.loss not in POINT_LOSSES:
            raise ValueError(f"loss must be one of {POINT_LOSSES}, got {self.loss!r}")
        if min(self.epochs, self.batch_size, self.accumulate, self.patience) < 1 or self.lr <= 0:
            raise ValueError("epochs, batch_size, accumulate and patience must be >= 1 and lr > 0")
