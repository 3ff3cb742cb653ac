"""Every interval is finite, positive, ordered and nested, however the scores behave."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forge_core.intervals import (
    INTERVAL_METHODS,
    AciParams,
    AdaptiveConformal,
    Intervals,
    PidParams,
    calibrate,
)
from forge_core.intervals.feedback import run_delayed
from forge_core.intervals.log_scores import ScoreSides

LEVELS = (0.1, 0.5, 0.8, 0.9, 0.95, 0.99)
VARIANTS = [(method, symmetric) for method in INTERVAL_METHODS for symmetric in (False, True)] + [
    ("pid+scorecaster", False)
]


def calibrated(
    forecast: pd.Series, realised: pd.Series, horizon: int, method: str, symmetric: bool
) -> Intervals:
    if method == "pid+scorecaster":
        params = PidParams(window=200, eta=0.1, ki=2.0, scorecaster_halflife=5.0)
        return calibrate(forecast, realised, horizon, "pid", levels=LEVELS, params=params, min_scores=20)
    return calibrate(forecast, realised, horizon, method, levels=LEVELS, symmetric=symmetric, min_scores=20)


def assert_well_formed(intervals: Intervals, strictly: bool = True) -> None:
    lower, upper = intervals.lower.to_numpy(), intervals.upper.to_numpy()
    assert np.isfinite(lower).all() and np.isfinite(upper).all()
    assert (lower > 0).all()
    assert ((lower < upper) if strictly else (lower <= upper)).all()
    assert (np.diff(lower, axis=1) <= 0).all(), "a wider level's lower bound is above a narrower one's"
    assert (np.diff(upper, axis=1) >= 0).all(), "a wider level's upper bound is below a narrower one's"


def heavy_tailed(n: int, seed: int) -> tuple[pd.Series, pd.Series]:
    """Student-t(2) log scores whose scale jumps tenfold and back, and a forecast spanning 6 orders of magnitude."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2001-01-02", periods=n)
    scale = np.where((np.arange(n) // 150) % 2 == 1, 3.0, 0.3)
    forecast = 10.0 ** rng.uniform(-7, -1, n)
    return pd.Series(forecast, index=days), pd.Series(
        forecast * np.exp(scale * rng.standard_t(2, n)), index=days
    )


@pytest.mark.parametrize("horizon", [1, 5])
@pytest.mark.parametrize(("method", "symmetric"), VARIANTS)
def test_bounds_are_finite_positive_ordered_and_nested(method: str, symmetric: bool, horizon: int) -> None:
    forecast, realised = heavy_tailed(1200, seed=horizon)
    intervals = calibrated(forecast, realised, horizon, method, symmetric)
    assert len(intervals) == 1200 - intervals.warmup_days > 1000
    assert_well_formed(intervals)


def adversarial(n: int) -> tuple[pd.Series, pd.Series]:
    """Scores that always leave every past score behind: rising for n days, then falling for n days, then
    ordinary again for n days."""
    days = pd.bdate_range("2001-01-02", periods=3 * n)
    t = np.arange(n, dtype=float)
    scores = np.concatenate([0.01 * t, -0.01 * t - 0.02 * n, np.random.default_rng(0).normal(0, 0.5, n)])
    forecast = pd.Series(1e-4, index=days)
    return forecast, forecast * np.exp(scores)


@pytest.mark.parametrize(("method", "symmetric"), VARIANTS)
def test_clipping_keeps_bounds_finite_through_a_long_adversarial_run(method: str, symmetric: bool) -> None:
    forecast, realised = adversarial(2000)
    for horizon in (1, 22):
        # while every score exceeds all earlier ones, ACI's lower end can rise to the window's top: a point
        assert_well_formed(calibrated(forecast, realised, horizon, method, symmetric), strictly=False)


def test_the_adaptive_tail_stays_clipped_and_recovers_after_an_adversarial_run() -> None:
    forecast, realised = adversarial(2000)
    scores = np.log(realised.to_numpy() / forecast.to_numpy())
    aci = AdaptiveConformal(
        AciParams(window=500, gamma=0.005, clip=0.001), ScoreSides((0.9,), symmetric=False)
    )
    last = run_delayed(aci, scores[:2000], horizon=1, min_scores=20).thresholds[-1]
    window = np.sort(scores[1499:1999])  # the 500 scores realised by the last day's close
    # rising scores: every row missed above; unclipped, that tail would be 0.05 - 0.005 * 0.95 * 1979 = -9.35, so
    # the upper end is the window's top (tail 0.001: order statistic ceil(501 * 0.999) = 501, clipped to 500)
    assert last[1] == window[-1]
    # no misses below: the lower tail rose to 0.05 + 0.005 * 0.05 * 1979, order statistic ceil(501 * (1 - it))
    lower_tail = 0.05 + 0.005 * 0.05 * 1979
    assert last[0] == -window[500 - math.ceil(501 * (1 - lower_tail))]
    intervals = calibrate(forecast, realised, 1, "aci", params=AciParams(500, 0.005, 0.001), min_scores=20)
    calm = intervals.between(forecast.index[5000], forecast.index[-1])
    assert calm.coverage(realised)[0.9] == pytest.approx(0.9, abs=0.05)
