"""Every band is coherent as the method produces it, however the scores behave: finite, positive, nested across
levels, the 50% upper end strictly below the 95%, and the published point (the calibrated mean) inside its 50%
band unless the row is flagged skewed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.evaluation.losses import qlike
from forge_core.intervals import INTERVAL_METHODS, Intervals, PidParams, SplitParams, calibrate
from tests.core.intervals.synthetic_scores import forecast_and_realised

LEVELS = (0.1, 0.5, 0.8, 0.9, 0.95, 0.99)
VARIANTS = [(method, symmetric) for method in INTERVAL_METHODS for symmetric in (False, True)]


def calibrated(
    forecast: pd.Series, realised: pd.Series, horizon: int, method: str, symmetric: bool, **kwargs: object
) -> Intervals:
    return calibrate(
        forecast, realised, horizon, method, levels=LEVELS, symmetric=symmetric, min_scores=20, **kwargs
    )


def assert_coherent(intervals: Intervals) -> None:
    lower, upper = intervals.lower.to_numpy(), intervals.upper.to_numpy()
    point = intervals.point.to_numpy()
    assert np.isfinite(lower).all() and np.isfinite(upper).all() and np.isfinite(point).all()
    assert (lower > 0).all() and (point > 0).all()
    assert (lower <= upper).all()
    assert (np.diff(lower, axis=1) <= 0).all(), "a wider level's lower bound is above a narrower one's"
    assert (np.diff(upper, axis=1) >= 0).all(), "a wider level's upper bound is below a narrower one's"
    fifty, ninety_five = intervals.upper[0.5].to_numpy(), intervals.upper[0.95].to_numpy()
    assert (fifty < ninety_five).all(), "a 50% band reaching the 95% band's upper end"
    inner_low, inner_high = intervals.lower[LEVELS[0]].to_numpy(), intervals.upper[LEVELS[0]].to_numpy()
    outside = (point < inner_low) | (point > inner_high)
    np.testing.assert_array_equal(intervals.skewed.to_numpy(), outside)


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
def test_bands_are_coherent_as_produced(method: str, symmetric: bool, horizon: int) -> None:
    forecast, realised = heavy_tailed(1200, seed=horizon)
    intervals = calibrated(forecast, realised, horizon, method, symmetric)
    assert len(intervals) == 1200 - intervals.warmup_days > 1000
    assert_coherent(intervals)


def adversarial(n: int) -> tuple[pd.Series, pd.Series]:
    """Scores that always leave every past score behind: rising for n days, then falling for n days, then
    ordinary again for n days."""
    days = pd.bdate_range("2001-01-02", periods=3 * n)
    t = np.arange(n, dtype=float)
    scores = np.concatenate([0.01 * t, -0.01 * t - 0.02 * n, np.random.default_rng(0).normal(0, 0.5, n)])
    forecast = pd.Series(1e-4, index=days)
    return forecast, forecast * np.exp(scores)


@pytest.mark.parametrize(("method", "symmetric"), VARIANTS)
def test_a_saturated_integrator_keeps_bands_finite_and_coherent(method: str, symmetric: bool) -> None:
    forecast, realised = adversarial(2000)
    for horizon in (1, 22):
        params = PidParams(window=500, eta=0.05, ki=2.0, prior=0.0) if method == "pid" else None
        intervals = calibrated(forecast, realised, horizon, method, symmetric, params=params)
        assert_coherent(intervals)
        calm = intervals.between(forecast.index[5000], forecast.index[-1])
        if method == "pid" and not symmetric:
            assert calm.coverage(realised)[0.9] == pytest.approx(0.9, abs=0.06)


def test_the_point_corrects_a_biased_model_and_leaves_an_unbiased_one() -> None:
    forecast, realised = forecast_and_realised(3000, seed=5)  # s ~ N(-0.1, 0.5^2): E[y/f] = exp(-0.1 + 0.125)
    unbiased = realised * np.exp(-0.025)  # E[y/f] = 1: the correction is noise, and mostly not made
    for method in INTERVAL_METHODS:
        ratio = calibrate(forecast, unbiased, 1, method).point / forecast
        assert float(np.abs(np.log(ratio.dropna())).mean()) < 0.02
    biased = realised * np.exp(0.7)
    for method in INTERVAL_METHODS:
        intervals = calibrate(forecast, biased, 1, method)
        ratio = (intervals.point / intervals.forecast).iloc[1000:]
        assert ratio.mean() == pytest.approx(np.exp(0.6 + 0.125), rel=0.05)
        assert not intervals.skewed.any()
        y = biased.reindex(intervals.point.index)
        # QLIKE rewards the mean: the corrected point beats the raw forecast by far
        assert qlike(y, intervals.point).mean() < qlike(y, intervals.forecast).mean() - 0.1


def test_only_a_distribution_skewed_past_its_quartile_leaves_its_point_outside_the_50_band() -> None:
    days = pd.bdate_range("2001-01-02", periods=1500)
    rng = np.random.default_rng(2)
    forecast = pd.Series(1e-4, index=days)
    for sd, skewed in ((1.0, False), (2.5, True)):  # log-normal: the mean passes q75 above a log-sd of ~1.35
        realised = forecast * np.exp(rng.normal(0.0, sd, len(days)))
        intervals = calibrate(forecast, realised, 1, "split", params=SplitParams(1000))
        assert bool(intervals.skewed.all()) is skewed and bool(intervals.skewed.any()) is skewed
        assert_coherent_days = intervals.upper[0.5] < intervals.upper[0.95]
        assert assert_coherent_days.all()


def test_scarce_feedback_at_22_days_stays_near_split_conformal_and_coherent() -> None:
    """Sixty scored errors at h = 22 after the live warm-up of 250 scores (fewer than three independent errors),
    with a shift that makes them misses: the integrator would saturate on them; the shrinkage keeps PID's bands
    within a few percent of split conformal's, coherent."""
    n = 250 + 22 + 22 + 60
    forecast, realised = forecast_and_realised(n, seed=11, shift_at=260, bias=1.0, scale=1.5)
    smooth = realised.rolling(22, min_periods=1).mean()  # overlapping 22-day targets: errors come in runs
    smooth.iloc[-22:] = np.nan  # the last 22 rows are not realised yet
    pid, split = (calibrate(forecast, smooth, 22, method) for method in ("pid", "split"))
    assert (
        len(pid) == 60 + 22 + 1
        and pid.realised_scores.iloc[0] == 250
        and pid.realised_scores.iloc[-1] == n - 22
    )
    assert_coherent_days = (pid.upper[0.5] < pid.upper[0.95]) & ~pid.skewed
    assert assert_coherent_days.all()
    spread = np.log(pid.upper / pid.lower) / np.log(split.upper / split.lower)
    assert float(np.abs(spread - 1).to_numpy().max()) < 0.1
    unshrunk = calibrate(forecast, smooth, 22, "pid", params=PidParams(eta=2.0, ki=3.0, prior=0.0))
    widened = np.log(unshrunk.upper / unshrunk.lower) / np.log(split.upper / split.lower)
    assert float(widened.to_numpy().max()) > 1.5  # what the shrinkage prevents
