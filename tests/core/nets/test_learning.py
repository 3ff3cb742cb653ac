"""Each family learns the synthetic volatility signal, and its quantiles are ordered and roughly calibrated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.models.torch_model import TorchModel
from tests.core.nets.conftest import FAMILIES, TASK, TRAIN_ROWS


def qlike(y: np.ndarray, f: np.ndarray) -> float:
    return float(np.mean(y / f - np.log(y / f) - 1))


@pytest.mark.parametrize("family", FAMILIES)
def test_beats_a_constant_forecast_out_of_sample(
    family: str, fitted: dict[str, TorchModel], panel: pd.DataFrame
) -> None:
    model = fitted[family]
    test = slice(
        TRAIN_ROWS + TASK.horizon, None
    )  # rows whose target starts after the training rows' last one
    y = panel["target_value"].to_numpy()[test]
    forecast = model.predict(panel)[test]
    ok = np.isfinite(y)
    constant = np.full(ok.sum(), panel["target_value"].iloc[:TRAIN_ROWS].mean())
    model_loss, constant_loss = qlike(y[ok], forecast[ok]), qlike(y[ok], constant)
    assert model_loss < 0.5 * constant_loss, (model_loss, constant_loss)
    assert model.state.epochs_run == len(model.history) >= 1
    assert model.history[-1]["best_valid_loss"] == pytest.approx(model.state.best_valid_loss)


@pytest.mark.parametrize("family", FAMILIES)
def test_quantiles_never_cross_and_cover(
    family: str, fitted: dict[str, TorchModel], panel: pd.DataFrame
) -> None:
    model = fitted[family]
    q = model.predict_quantiles(panel)
    assert list(q.columns) == ["q05", "q10", "q50", "q90", "q95"]
    values = q.to_numpy()
    ok = np.isfinite(model.predict(panel))
    assert np.array_equal(np.isfinite(values).all(axis=1), ok)
    assert np.all(np.diff(values[ok], axis=1) > 0)
    # out-of-sample coverage of the central 90% band, loosely (few epochs, 1100 overlapping 5-day targets)
    test = np.arange(len(panel)) >= TRAIN_ROWS + TASK.horizon
    y = panel["target_value"].to_numpy()
    seen = test & ok & np.isfinite(y)
    inside = (y[seen] >= q["q05"].to_numpy()[seen]) & (y[seen] <= q["q95"].to_numpy()[seen])
    assert 0.8 < inside.mean() < 0.99
    # levels between the trained ones interpolate (in the log) and stay ordered
    fine = model.predict_quantiles(panel, levels=(0.05, 0.075, 0.1, 0.3, 0.5, 0.7, 0.95)).to_numpy()[ok]
    assert np.all(np.diff(fine, axis=1) > 0)
    np.testing.assert_array_equal(fine[:, [0, 2, 4, 6]], values[ok][:, [0, 1, 2, 4]])
    with pytest.raises(ValueError, match="within"):
        model.predict_quantiles(panel, levels=(0.01, 0.5))
