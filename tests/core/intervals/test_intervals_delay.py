"""The h-day feedback delay: no interval uses a score before the close of the day it is realised."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.intervals import Intervals, PidParams, SplitParams, calibrate
from tests.core.intervals.synthetic_scores import forecast_and_realised

# Short windows and warm-up, so every method is adapting well inside the 600 days.
METHODS = {
    "split": ("split", SplitParams(window=100)),
    "pid": ("pid", PidParams(window=100, eta=0.05, ki=1.0, prior=0.0)),
    "pid+prior": ("pid", PidParams(window=100, eta=0.05, ki=1.0, prior=5.0)),
}
N = 600
MIN_SCORES = 30


def bands(
    forecast: pd.Series, realised: pd.Series, horizon: int, name: str, symmetric: bool = False
) -> Intervals:
    method, params = METHODS[name]
    return calibrate(
        forecast, realised, horizon, method, params=params, symmetric=symmetric, min_scores=MIN_SCORES
    )


def until(intervals: Intervals, day: pd.Timestamp) -> pd.DataFrame:
    return pd.concat([intervals.lower, intervals.upper], axis=1).loc[:day]


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("horizon", [1, 22])
@pytest.mark.parametrize("name", list(METHODS))
def test_no_interval_moves_when_the_unrealised_future_changes(
    name: str, horizon: int, symmetric: bool
) -> None:
    forecast, realised = forecast_and_realised(N, seed=horizon, shift_at=300)
    reference = bands(forecast, realised, horizon, name, symmetric)
    rng = np.random.default_rng(0)
    for j in (MIN_SCORES + horizon + 5, 200, 333, 480, N - 2):
        day = forecast.index[j]
        future_realised, future_forecast = realised.copy(), forecast.copy()
        # every row not yet realised at the close of j (i + h > j), and every forecast made after j
        future_realised.iloc[j - horizon + 1 :] *= np.exp(rng.normal(0, 3, N - (j - horizon + 1)))
        future_forecast.iloc[j + 1 :] *= np.exp(rng.normal(0, 3, N - j - 1))
        perturbed = bands(future_forecast, future_realised, horizon, name, symmetric)
        pd.testing.assert_frame_equal(until(perturbed, day), until(reference, day))
        if j < 150:
            continue  # before PID has learnt from an error, a new score inside the window's span changes nothing
        # the score realised exactly at j (row j - h) is used at j: the test above is not vacuous
        just_realised = realised.copy()
        just_realised.iloc[j - horizon] *= np.exp(8.0)
        moved = bands(forecast, just_realised, horizon, name, symmetric)
        assert not until(moved, day).iloc[-1].equals(until(reference, day).iloc[-1])
        pd.testing.assert_frame_equal(
            until(moved, forecast.index[j - 1]), until(reference, forecast.index[j - 1])
        )


@pytest.mark.parametrize("horizon", [1, 5, 22])
def test_intervals_start_on_the_first_day_with_enough_realised_scores(horizon: int) -> None:
    forecast, realised = forecast_and_realised(200, seed=1)
    realised.iloc[-horizon:] = np.nan  # not yet realised at the end of the data
    intervals = calibrate(forecast, realised, horizon, "pid", min_scores=40)
    # row i is realised at the close of i + h: 40 scores by the close of day 40 + h - 1
    assert intervals.warmup_days == 40 + horizon - 1
    assert intervals.forecast.index[0] == forecast.index[40 + horizon - 1]
    assert intervals.realised_scores.iloc[0] == 40
    assert intervals.realised_scores.iloc[-1] == 200 - horizon
    assert intervals.lower.index[-1] == forecast.index[-1]  # the live forecasts get intervals too


def naive_pid(
    scores: np.ndarray, horizon: int, params: PidParams, levels: tuple[float, ...], min_scores: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PID's log bounds and log mean per day, from the documented formulas, recomputing each day's window from
    scratch (``log_scores``, ``conformal_pid``)."""
    n, k = len(scores), len(levels)
    tails = np.array([(1 - c) / 2 for c in levels])
    lower, upper, log_mean = np.full((n, k), np.nan), np.full((n, k), np.nan), np.full(n, np.nan)
    tracked, integral, learnt = np.zeros(2), np.zeros(2), 0

    def angle(e: float, m: int) -> float:
        effective = m / horizon
        return float(e / horizon * np.log(effective + 1) / (params.csat * (effective + 1)))

    for j in range(n):
        i = j - horizon
        if i >= 0 and np.isfinite(scores[i]) and np.isfinite(upper[i, 0]):  # a realised row that had bands
            for side, missed in ((0, scores[i] < lower[i]), (1, scores[i] > upper[i])):
                g = float(np.mean((missed - tails) / np.sqrt(tails * (1 - tails))))
                tracked[side] = np.clip(tracked[side] + params.eta * g / horizon, -np.log(10), np.log(10))
                if (g > 0 and angle(integral[side], learnt + 1) < 1.25) or (
                    g < 0 and angle(integral[side], learnt + 1) > -1.25
                ):
                    integral[side] += g
            learnt += 1
        known = scores[: max(j - horizon + 1, 0)]
        window = np.sort(known[np.isfinite(known)][-params.window :])
        if len(window) < min_scores:
            continue
        effective = learnt / horizon
        shrink = effective / (effective + params.prior) if params.prior else 1.0
        scale = [
            np.exp(
                shrink * (tracked[s] + params.ki * np.tan(np.clip(angle(integral[s], learnt), -1.25, 1.25)))
            )
            for s in (0, 1)
        ]
        size, spread = len(window), np.exp(window)
        mu = float(np.log(spread.mean()))
        error = np.sqrt(max(np.mean(spread**2) / spread.mean() ** 2 - 1, 0.0) * horizon / size)
        kept = max(0.0, 1 - (error / mu) ** 2)
        ranks = np.clip(np.ceil((size + 1) * (1 - tails)).astype(int), 1, size)
        top, bottom = window[ranks - 1], window[size - ranks]
        upper[j] = kept * mu + np.where(top >= mu, scale[1], scale[0]) * (top - mu)
        lower[j] = kept * mu + np.where(bottom >= mu, scale[1], scale[0]) * (bottom - mu)
        log_mean[j] = kept * mu
    return lower, upper, log_mean


@pytest.mark.parametrize("horizon", [1, 3, 22])
def test_split_and_pid_match_a_from_scratch_recomputation(horizon: int) -> None:
    forecast, realised = forecast_and_realised(400, seed=7, shift_at=200)
    realised.iloc[-horizon:] = np.nan
    scores = np.log(realised.to_numpy() / forecast.to_numpy())
    f = forecast.to_numpy()[horizon:, None]
    levels = (0.5, 0.8, 0.95)
    cases = [
        ("split", SplitParams(50), PidParams(50, eta=0.0, ki=0.0, prior=0.0)),  # split: both scales stay 1
        ("pid", PidParams(50, eta=0.05, ki=0.5, prior=0.0), None),
        ("pid", PidParams(50, eta=0.05, ki=0.5, prior=3.0), None),
    ]
    for method, params, recomputed in cases:
        bands = calibrate(forecast, realised, horizon, method, levels=levels, params=params, min_scores=1)
        lower, upper, log_mean = naive_pid(scores, horizon, recomputed or params, levels, 1)
        np.testing.assert_allclose(np.log(bands.lower.to_numpy() / f), lower[horizon:], atol=1e-10)
        np.testing.assert_allclose(np.log(bands.upper.to_numpy() / f), upper[horizon:], atol=1e-10)
        np.testing.assert_allclose(np.log(bands.point.to_numpy() / f[:, 0]), log_mean[horizon:], atol=1e-10)
