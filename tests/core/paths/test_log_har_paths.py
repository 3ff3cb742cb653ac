"""Log-HAR FHS paths: the first day's mean variance is the exact one, the simulation reverts towards the training
level from a shocked start, and bad input is named."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.features.reference import compute_daily_features
from forge_core.paths import LogHarSimulator


def training() -> tuple[np.ndarray, np.ndarray]:
    bars = SyntheticSource(1, seed=5, start=dt.date(2010, 1, 4), today=dt.date(2016, 12, 30)).load(
        dt.date(2010, 1, 4), dt.date(2016, 12, 30)
    )
    rows = compute_daily_features(bars[bars["symbol"] == "SYN000"]).dropna(subset=["log_return"])
    rows = rows[rows["parkinson_d"] > 0]
    return rows["parkinson_d"].to_numpy(), rows["log_return"].to_numpy()


def test_first_day_mean_and_reversion() -> None:
    proxy, returns = training()
    simulator = LogHarSimulator.fit(proxy, returns, "SYN000")
    assert simulator.scale2 > 1.0  # the range proxy misses the overnight gap
    recent = proxy[-22:]
    paths = simulator.paths(recent, days=22, paths=100_000, seed=1)
    assert paths.variance.shape == paths.returns.shape == (100_000, 22)
    assert paths.mean_variance[0] == pytest.approx(simulator.first_day_mean(recent), rel=0.02)
    shocked = simulator.paths(recent * 16.0, days=22, paths=20_000, seed=2).mean_variance
    level = simulator.scale2 * proxy.mean()
    assert shocked[0] > 4 * level and abs(np.log(shocked[-1] / level)) < abs(np.log(shocked[0] / level))
    np.testing.assert_allclose(np.var(paths.returns, axis=0), paths.mean_variance, rtol=0.1)


def test_bad_input_is_named() -> None:
    proxy, returns = training()
    with pytest.raises(ValueError, match="SYN000: 30 days"):
        LogHarSimulator.fit(proxy[:30], returns[:30], "SYN000")
    with pytest.raises(ValueError, match="SYN000: the proxy must be finite and > 0"):
        LogHarSimulator.fit(np.where(np.arange(len(proxy)) == 5, 0.0, proxy), returns, "SYN000")
    with pytest.raises(ValueError, match="the last 22 positive proxy values"):
        LogHarSimulator.fit(proxy, returns, "SYN000").paths(proxy[-10:])
