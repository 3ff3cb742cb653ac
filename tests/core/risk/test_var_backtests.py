"""VaR and ES backtests: Kupiec's statistic by hand, the right size under the null, clustered violations caught by
Christoffersen's test, an understated ES caught by McNeil-Frey."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forge_core.risk import es_backtest, var_backtest


def test_kupiec_matches_the_formula_and_is_zero_at_the_nominal_rate() -> None:
    hits = np.zeros(250, dtype=bool)
    hits[[10, 60, 110, 160, 210]] = True  # 5 spread violations of a 1% VaR
    result = var_backtest(hits, 0.01)
    by_hand = -2 * (245 * math.log(0.99) + 5 * math.log(0.01) - 245 * math.log(0.98) - 5 * math.log(0.02))
    assert result.violations == 5 and result.expected == pytest.approx(2.5)
    assert result.lr_pof == pytest.approx(by_hand) and result.p_pof == pytest.approx(
        stats.chi2.sf(by_hand, 1)
    )
    assert result.lr_cc == pytest.approx(result.lr_pof + result.lr_ind)
    nominal = np.zeros(100, dtype=bool)
    nominal[[20, 70]] = True
    assert var_backtest(nominal, 0.02).lr_pof == pytest.approx(0.0, abs=1e-12)


def test_the_tests_have_their_size_under_the_null() -> None:
    rng = np.random.default_rng(1)
    results = [var_backtest(rng.random(1000) < 0.05, 0.05) for _ in range(400)]
    for p_values in ([r.p_pof for r in results], [r.p_cc for r in results]):
        assert 0.02 < np.mean(np.array(p_values) < 0.05) < 0.09


def test_clustered_violations_fail_independence_not_the_count() -> None:
    hits = np.zeros(1000, dtype=bool)
    hits[500:550] = True  # the nominal 5% count, all in one run
    result = var_backtest(hits, 0.05)
    assert result.p_pof > 0.5 and result.p_ind < 1e-6 and result.p_cc < 1e-6


def test_the_es_test_has_its_size_and_catches_an_understated_es() -> None:
    rng = np.random.default_rng(2)
    tail = 0.025
    z = stats.norm.ppf(tail)
    right, understated = [], []
    for seed in range(200):
        scale = np.exp(rng.normal(0.0, 0.3, 2000)) * 0.01
        returns = scale * rng.standard_normal(2000)
        var, es = -z * scale, scale * stats.norm.pdf(z) / tail
        result = es_backtest(returns, var, es, scale, seed=seed)
        assert result.violations == var_backtest(returns < -var, tail).violations
        right.append(result.p_value)
        understated.append(es_backtest(returns, var, 0.8 * es, scale, seed=seed).p_value)
    assert 0.02 < np.mean(np.array(right) < 0.05) < 0.10
    assert np.mean(np.array(understated) < 0.05) > 0.9


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="tail probability must be in"):
        var_backtest(np.zeros(10, dtype=bool), 1.5)
    with pytest.raises(ValueError, match="at least 2 days"):
        var_backtest(np.zeros(1, dtype=bool), 0.05)
