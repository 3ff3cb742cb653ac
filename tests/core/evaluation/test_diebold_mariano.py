"""Diebold-Mariano with Newey-West variance and the Harvey-Leybourne-Newbold correction."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forge_core.evaluation.diebold_mariano import diebold_mariano

LOSS_A = np.array([1.0, 2.0, 0.5, 1.5, 3.0, 0.8, 1.2, 2.2])
LOSS_B = np.array([1.2, 1.5, 1.0, 2.0, 2.5, 1.5, 1.6, 2.0])


def _by_hand(h: int) -> tuple[float, float]:
    n = 8
    d = LOSS_A - LOSS_B  # [-0.2, 0.5, -0.5, -0.5, 0.5, -0.7, -0.4, 0.2]
    d_bar = d.sum() / n
    e = d - d_bar
    gamma_0 = (e * e).sum() / n
    gamma_1 = (e[1:] * e[:-1]).sum() / n
    # Bartlett weights with L = h - 1 lags: none for h = 1, weight 1 - 1/2 on gamma_1 for h = 2.
    long_run_variance = gamma_0 if h == 1 else gamma_0 + 2 * (1 - 1 / 2) * gamma_1
    dm = d_bar / np.sqrt(long_run_variance / n)
    hln = dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return hln, 2 * stats.t.sf(abs(hln), df=n - 1)


@pytest.mark.parametrize("h", [1, 2])
def test_matches_a_hand_computation(h: int) -> None:
    statistic, p_value = _by_hand(h)
    result = diebold_mariano(LOSS_A, LOSS_B, h)
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.p_value == pytest.approx(p_value, rel=1e-12)
    assert result.mean_difference == pytest.approx(-0.1375)
    assert (result.lag, result.n) == (h - 1, 8)


def test_a_larger_lag_may_be_passed_but_not_a_smaller_one() -> None:
    # h = 1 with one lag: the h = 2 long-run variance, but the h = 1 HLN factor.
    assert diebold_mariano(LOSS_A, LOSS_B, 1, lag=1).statistic == pytest.approx(
        _by_hand(2)[0] / np.sqrt((8 + 1 - 4 + 2 / 8) / 8) * np.sqrt((8 + 1 - 2) / 8)
    )
    with pytest.raises(ValueError, match="lag must be >= horizon - 1 = 2"):
        diebold_mariano(LOSS_A, LOSS_B, 3, lag=1)


def test_sign_convention_and_a_strong_difference() -> None:
    rng = np.random.default_rng(0)
    better = rng.exponential(size=500)
    worse = better + 0.3 + 0.1 * rng.standard_normal(500)
    result = diebold_mariano(better, worse, 5)
    assert result.statistic < 0 and result.mean_difference < 0
    assert result.p_value < 0.01
    flipped = diebold_mariano(worse, better, 5)
    assert flipped.statistic == pytest.approx(-result.statistic)
    assert flipped.p_value == pytest.approx(result.p_value)


def test_identical_losses_give_statistic_zero_and_p_one() -> None:
    result = diebold_mariano(LOSS_A, LOSS_A.copy(), 1)
    assert (result.statistic, result.p_value, result.mean_difference) == (0.0, 1.0, 0.0)


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        diebold_mariano(LOSS_A, LOSS_B[:-1], 1)
    with pytest.raises(ValueError, match="more observations than the horizon"):
        diebold_mariano(LOSS_A, LOSS_B, 8)
