"""Model families by name. Adding a model: one module declaring its class (see ``VolatilityModel``), one line in
``MODEL_REGISTRY``; its assets, search space and tracking follow from the class."""

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


def families(group: str | None = None) -> tuple[str, ...]:
    """Registered family names in registration order, all of them or those of one ``group``."""
    return tuple(name for name, cls in MODEL_REGISTRY.items() if group is None or cls.group == group)


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


def load_model(path: Path, runtime: Runtime | None = None) -> VolatilityModel:
    """A model written by ``VolatilityModel.save``, of whichever family the file names, on ``runtime``."""
    return model_class(json.loads(Path(path).read_text())["family"]).load(path, runtime)
