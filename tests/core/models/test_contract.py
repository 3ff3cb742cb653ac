"""What every registered family promises: quantiles, persistence, parameters and no look-ahead."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forge_core.models import (
    MODEL_REGISTRY,
    ForecastTask,
    VolatilityModel,
    create_model,
    families,
    load_model,
)
from tests.core.models._sim import forward_mean, simulated_features

TASK = ForecastTask(5, "parkinson")
FAMILIES = sorted(MODEL_REGISTRY)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    frame = simulated_features(1500, seed=1)
    return frame, forward_mean(frame, "parkinson_d", TASK.horizon)


@pytest.fixture(scope="module")
def models(data: tuple[pd.DataFrame, pd.Series]) -> dict[str, VolatilityModel]:
    frame, target = data
    train = frame.iloc[:1000]
    return {f: create_model(f, TASK).fit(train, target.iloc[:1000]) for f in FAMILIES}


@pytest.mark.parametrize("family", families("baselines"))  # the nets' own quantile heads: tests/core/nets
def test_quantiles_are_ordered_scale_with_the_forecast_and_cover_in_sample(
    family: str, models: dict[str, VolatilityModel], data: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, target = data
    model = models[family]
    q = model.predict_quantiles(frame)
    assert list(q.columns) == ["q05", "q10", "q50", "q90", "q95"]
    assert q.index.equals(frame.index)
    forecast = model.predict(frame)
    ok = np.isfinite(forecast)
    values = q.to_numpy()[ok]
    assert np.all(values > 0)
    assert np.all(np.diff(values, axis=1) > 0)  # non-crossing
    ratio = values / forecast[ok, None]  # each quantile is the forecast times a constant: increasing in level
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[0], ratio.shape), rtol=1e-12)
    assert 0.2 < ratio[0, 2] < 1.5  # the median sits near the mean forecast, below it for a skewed variance
    seen = ok[:1000] & target.iloc[:1000].notna().to_numpy()
    y = target.iloc[:1000].to_numpy()[seen]
    for column, level in (("q05", 0.05), ("q50", 0.5), ("q95", 0.95)):
        assert np.mean(y <= q[column].to_numpy()[:1000][seen]) == pytest.approx(level, abs=0.01)


@pytest.mark.parametrize("family", FAMILIES)
def test_save_load_round_trip_and_json_params(
    family: str, models: dict[str, VolatilityModel], data: tuple[pd.DataFrame, pd.Series], tmp_path: Path
) -> None:
    frame, _ = data
    model = models[family]
    path = tmp_path / f"{family}.json"
    model.save(path)
    for loaded in (type(model).load(path), load_model(path)):
        assert type(loaded) is type(model)
        assert loaded.params() == model.params()
        np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
        pd.testing.assert_frame_equal(loaded.predict_quantiles(frame), model.predict_quantiles(frame))
    params = json.loads(json.dumps(model.params(), allow_nan=False))
    assert params["family"] == family
    assert params["horizon"] == TASK.horizon
    assert params["proxy"] == TASK.proxy


@pytest.mark.parametrize("family", FAMILIES)
def test_no_look_ahead(
    family: str, models: dict[str, VolatilityModel], data: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = data
    model = models[family]
    full = model.predict(frame)
    # a net needs the 22-day means of its first input row plus seq_len rows of inputs
    warmup = 30 if family in families("baselines") else 21 + model.seq_len
    assert np.isfinite(full[warmup:]).all()
    rng = np.random.default_rng(7)
    numeric = frame.select_dtypes("number").columns
    for cut in (3, 25, 80, 1200):
        # equal up to rounding: BLAS may sum a matrix product in another order for another row count
        np.testing.assert_allclose(model.predict(frame.iloc[:cut]), full[:cut], rtol=1e-12)
        changed = frame.copy()
        changed.loc[cut:, numeric] *= rng.uniform(0.1, 10.0, size=(len(frame) - cut, len(numeric)))
        np.testing.assert_allclose(model.predict(changed)[:cut], full[:cut], rtol=1e-12)
