"""Model families by name. Adding a model: one module, one line in ``MODEL_REGISTRY``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forge_core.models.base import ForecastTask, Runtime, VolatilityModel
from forge_core.models.ewma import EwmaModel
from forge_core.models.garch import GarchModel, GjrGarchModel
from forge_core.models.har import HarModel
from forge_core.models.log_har import LogHarModel
from forge_core.models.random_walk import RandomWalkModel
from forge_core.models.torch_model import GRUModel, LSTMModel, MLPModel, TCNModel, TransformerModel

BASELINE_FAMILIES: tuple[str, ...] = ("random_walk", "ewma", "har", "log_har", "garch", "gjr_garch")
TORCH_FAMILIES: tuple[str, ...] = ("mlp", "lstm", "gru", "tcn", "transformer")

MODEL_REGISTRY: dict[str, type[VolatilityModel]] = {
    cls.family: cls
    for cls in (
        RandomWalkModel,
        EwmaModel,
        HarModel,
        LogHarModel,
        GarchModel,
        GjrGarchModel,
        MLPModel,
        LSTMModel,
        GRUModel,
        TCNModel,
        TransformerModel,
    )
}


def model_class(family: str) -> type[VolatilityModel]:
    """The class registered under ``family``."""
    try:
        return MODEL_REGISTRY[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; known: {sorted(MODEL_REGISTRY)}") from None


def create_model(
    family: str, task: ForecastTask, runtime: Runtime | None = None, **params: Any
) -> VolatilityModel:
    """An unfitted model of ``family`` for ``task`` with hyperparameters ``params``, training on ``runtime``."""
    return model_class(family)(task, runtime, **params)


def load_model(path: Path) -> VolatilityModel:
    """A model written by ``VolatilityModel.save``, of whichever family the file names."""
    return model_class(json.loads(Path(path).read_text())["family"]).load(path)
