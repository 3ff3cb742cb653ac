"""Per-observation losses and interval summaries."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from forge_core.evaluation import IntervalScore, interval_coverage, interval_width, mse, pinball, qlike


def test_mse_by_hand() -> None:
    np.testing.assert_allclose(mse([1.0, 4.0, 2.0], [2.0, 2.0, 2.0]), [1.0, 4.0, 0.0])


def test_qlike_by_hand() -> None:
    # y/f - log(y/f) - 1 at y/f = 2 and at y/f = 1/2.
    np.testing.assert_allclose(
        qlike([2.0, 1.0], [1.0, 2.0]), [1.0 - math.log(2.0), 0.5 + math.log(2.0) - 1.0]
    )


def test_qlike_is_zero_when_the_forecast_equals_the_proxy() -> None:
    y = np.array([0.3, 1.0, 7.5, 1e-6])
    np.testing.assert_allclose(qlike(y, y), 0.0, atol=1e-15)


def test_qlike_is_minimised_in_expectation_at_the_true_variance() -> None:
    # A noisy but unbiased proxy: y = σ² z², σ² = 2.  The mean QLIKE over a common sample is minimised at
    # f = mean(y), so on a grid of forecasts the best one sits within Monte Carlo error of σ².
    rng = np.random.default_rng(1)
    y = 2.0 * rng.standard_normal(200_000) ** 2
    grid = np.linspace(1.0, 3.0, 41)
    mean_losses = [qlike(y, np.full(y.size, f)).mean() for f in grid]
    assert grid[int(np.argmin(mean_losses))] == pytest.approx(2.0, abs=0.05)
    assert mean_losses[20] < mean_losses[10] and mean_losses[20] < mean_losses[30]


def test_pinball_by_hand() -> None:
    # (0.9 - 1)(1 - 2) = 0.1 below the quantile, 0.9 (3 - 2) = 0.9 above it.
    np.testing.assert_allclose(pinball([1.0, 3.0, 2.0], [2.0, 2.0, 2.0], 0.9), [0.1, 0.9, 0.0])


def test_interval_summaries() -> None:
    y, lower, upper = [1.0, 5.0, 2.0, 0.5], [0.5, 1.0, 2.0, 1.0], [1.5, 4.0, 3.0, 2.0]
    assert interval_coverage(y, lower, upper) == 0.5
    assert interval_width(lower, upper) == pytest.approx((1.0 + 3.0 + 1.0 + 1.0) / 4)
    assert IntervalScore.evaluate(y, lower, upper, nominal=0.8) == IntervalScore(0.8, 0.5, 1.5, 4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mse([1.0, 2.0], [1.0]), "differ in length"),
        (lambda: qlike([1.0, 2.0, np.nan], [1.0, 1.0, 1.0]), r"y has a non-finite value at index 2"),
        (lambda: mse([1.0, 2.0], [1.0, np.inf]), r"f has a non-finite value at index 1"),
        (lambda: qlike([1.0, 2.0], [1.0, 0.0]), r"f must be > 0 .*f\[1\] = 0.0"),
        (lambda: qlike([1.0, -2.0], [1.0, 1.0]), r"y must be > 0 .*y\[1\] = -2.0"),
        (lambda: mse([1.0], [-1.0]), r"f\[0\] = -1.0"),
        (lambda: pinball([1.0], [1.0], 1.0), "level must be in"),
        (lambda: interval_width([2.0, 1.0], [1.0, 1.0]), "lower > upper at index 0"),
        (lambda: IntervalScore.evaluate([1.0], [0.0], [2.0], nominal=90), "nominal coverage"),
    ],
)
def test_errors_name_the_problem(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
