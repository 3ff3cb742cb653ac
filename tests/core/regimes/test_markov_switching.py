"""Regimes: two clearly separated synthetic regimes are recovered, labelled by level; the filtered probabilities of
a day never change when later days do; too few rows are refused naming the series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.regimes import filtered_probabilities, fit_regimes


def two_regimes(n: int = 1500, seed: int = 0) -> tuple[pd.Series, np.ndarray]:
    """x_t - mu_S = 0.6 (x_{t-1} - mu_S') + sigma_S e_t, a persistent chain: calm (mu -2.5, sd 0.3), turbulent
    (1.25, 0.6)."""
    rng = np.random.default_rng(seed)
    state = np.zeros(n, dtype=int)
    for t in range(1, n):
        state[t] = state[t - 1] if rng.random() < 0.98 else 1 - state[t - 1]
    mu, sd = np.array([-2.5, 1.25]), np.array([0.3, 0.6])
    x = np.full(n, mu[0])
    for t in range(1, n):
        deviation = 0.6 * (x[t - 1] - mu[state[t - 1]])
        x[t] = mu[state[t]] + deviation + rng.normal(0.0, sd[state[t]])
    return pd.Series(x, index=pd.bdate_range("2010-01-01", periods=n), name="SYN000 log rv"), state


def test_two_separated_regimes_are_recovered_and_ordered_by_level() -> None:
    x, state = two_regimes()
    params = fit_regimes(x)
    # regime 0 is the calm one, whatever statsmodels numbered it
    assert params.means == pytest.approx((-2.5, 1.25), abs=0.15) and params.ar == pytest.approx(0.6, abs=0.05)
    assert np.sqrt(params.variances) == pytest.approx((0.3, 0.6), abs=0.06)
    assert np.asarray(params.transition).sum(axis=0) == pytest.approx(1.0)
    probabilities = filtered_probabilities(params, x)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert ((probabilities["regime_1"] > 0.5).to_numpy() == (state[1:] == 1)).mean() > 0.9


def test_later_days_never_change_a_days_probabilities() -> None:
    x, _ = two_regimes()
    params = fit_regimes(x.iloc[:1000])  # fitted on the past rows only
    changed = x.copy()
    changed.iloc[1200:] += 5.0  # a different future
    before = filtered_probabilities(params, x).iloc[:1199]
    after = filtered_probabilities(params, changed).iloc[:1199]
    pd.testing.assert_frame_equal(before, after)
    assert (
        not filtered_probabilities(params, x)
        .iloc[1200:]
        .equals(filtered_probabilities(params, changed).iloc[1200:])
    )


def test_too_few_rows_are_refused_naming_the_series() -> None:
    x, _ = two_regimes(300)
    with pytest.raises(ValueError, match=r"SYN000 log rv: 300 rows, a 2-regime model needs at least 501"):
        fit_regimes(x)
