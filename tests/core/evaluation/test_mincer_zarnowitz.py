"""Mincer-Zarnowitz regression with Newey-West covariance."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from forge_core.evaluation.mincer_zarnowitz import mincer_zarnowitz


def test_recovers_alpha_and_beta_and_rejects_unbiasedness() -> None:
    rng = np.random.default_rng(0)
    f = rng.lognormal(size=4000)
    y = 0.5 + 2.0 * f + 0.3 * rng.standard_normal(4000)
    result = mincer_zarnowitz(y, f, 1)
    assert result.alpha == pytest.approx(0.5, abs=0.03)
    assert result.beta == pytest.approx(2.0, abs=0.03)
    assert result.r_squared > 0.9
    assert result.wald_p_value < 1e-6
    assert result.n == 4000


def test_unbiased_forecasts_are_not_rejected() -> None:
    rng = np.random.default_rng(2)
    f = rng.lognormal(size=2000)
    y = f * rng.chisquare(5, size=2000) / 5  # E[y | f] = f
    assert mincer_zarnowitz(y, f, 1).wald_p_value > 0.2


def test_matches_statsmodels_hac() -> None:
    rng = np.random.default_rng(4)
    f = rng.lognormal(size=800)
    y = 0.1 + 0.9 * f + np.convolve(rng.standard_normal(804), np.ones(5) / 5, mode="valid")
    result = mincer_zarnowitz(y, f, 5)
    fit = sm.OLS(y, sm.add_constant(f)).fit(cov_type="HAC", cov_kwds={"maxlags": 4})
    r = fit.params - np.array([0.0, 1.0])
    assert (result.alpha, result.beta) == pytest.approx(tuple(fit.params), rel=1e-10)
    assert result.r_squared == pytest.approx(fit.rsquared, rel=1e-10)
    assert result.wald_statistic == pytest.approx(r @ np.linalg.solve(fit.cov_params(), r), rel=1e-8)


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="f is constant"):
        mincer_zarnowitz([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], 1)
    with pytest.raises(ValueError, match="lag must be >= horizon - 1"):
        mincer_zarnowitz([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 2.5, 4.0], 3, lag=0)
