"""A checkpoint folder never hands one net's weights to a net with other hyperparameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forge_core.models import ForecastTask, Runtime, create_model

TASK = ForecastTask(5, "parkinson")


def fit_mlp(panel: pd.DataFrame, checkpoints: Path | None, dropout: float) -> np.ndarray:
    train = panel.iloc[:1500]
    runtime = Runtime(checkpoint_dir=checkpoints)
    model = create_model("mlp", TASK, runtime, dropout=dropout, epochs=3, patience=3)
    return model.fit(train, train["target_value"]).predict(panel)


def test_a_changed_hyperparameter_that_keeps_shapes_trains_afresh(
    panel: pd.DataFrame, tmp_path: Path
) -> None:
    before = fit_mlp(panel, tmp_path, dropout=0.0)
    after = fit_mlp(panel, tmp_path, dropout=0.45)  # same folder, same shapes, another net
    assert not np.array_equal(after, before, equal_nan=True)
    assert np.array_equal(after, fit_mlp(panel, None, dropout=0.45), equal_nan=True)
