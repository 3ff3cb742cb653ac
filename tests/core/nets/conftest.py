"""Shared data and tiny fitted models for the network tests."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from forge_core.models import MODEL_REGISTRY, ForecastTask, create_model
from forge_core.models.torch_model import TorchModel
from tests.core.nets._data import SPEC, synthetic_panel

TASK = ForecastTask(SPEC.horizon, SPEC.proxy)
FAMILIES = ["mlp", "lstm", "gru", "tcn", "transformer"]
TRAIN_ROWS = 2000
# Small enough for a few seconds per family on one CPU thread.
TINY: dict[str, Any] = {"epochs": 8, "hidden": 16, "batch_size": 128, "lr": 3e-3}
SEQ_TINY: dict[str, Any] = {**TINY, "seq_len": 10}


def tiny_params(family: str) -> dict[str, Any]:
    return TINY if family == "mlp" else SEQ_TINY


@pytest.fixture(scope="session")
def panel(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """~3100 days of one synthetic symbol: real features and the 5-day Parkinson target."""
    return synthetic_panel(tmp_path_factory.mktemp("nets") / "warehouse.duckdb")


@pytest.fixture(scope="session")
def fitted(panel: pd.DataFrame) -> dict[str, TorchModel]:
    """Every family trained with a tiny config on the first TRAIN_ROWS rows."""
    assert set(FAMILIES) <= set(MODEL_REGISTRY)
    train = panel.iloc[:TRAIN_ROWS]
    models = {}
    for family in FAMILIES:
        model = create_model(family, TASK, **tiny_params(family))
        assert isinstance(model, TorchModel)
        models[family] = model.fit(train, train["target_value"])
    return models
