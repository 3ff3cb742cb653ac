"""VaR and ES from variance forecasts: the Student-t formulas against simulation, the overnight scale recovered,
FHS equal to empirical quantiles, and a correct model passing its own backtests out of sample."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forge_core.risk import fit_return_distribution, var_backtest
from forge_core.risk.value_at_risk import ReturnDistribution, unit_t_dof

TAILS = (0.01, 0.025, 0.05)


def t_returns(n: int, nu: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns with unit-variance t shocks on a varying variance; the 'forecast' misses a third of it (overnight)."""
    rng = np.random.default_rng(seed)
    variance = np.exp(rng.normal(-9.0, 0.5, n))
    shocks = stats.t.rvs(nu, size=n, random_state=rng) * np.sqrt((nu - 2) / nu)
    return np.sqrt(variance) * shocks, variance * 2 / 3


def test_the_t_quantile_and_shortfall_match_simulation() -> None:
    nu = 5.0
    unit = np.sqrt((nu - 2) / nu)
    z = stats.t.rvs(nu, size=2_000_000, random_state=np.random.default_rng(0)) * unit
    var, es = ReturnDistribution("t", 1.0, dof=nu).value_at_risk(np.ones(1), TAILS)
    for i, tail in enumerate(TAILS):
        q = np.quantile(z, tail)
        assert var[0, i] == pytest.approx(-q, rel=0.01)
        assert es[0, i] == pytest.approx(-z[z <= q].mean(), rel=0.02)


def test_the_scale_and_the_tails_are_recovered_and_pass_out_of_sample() -> None:
    returns, forecast = t_returns(6000, 5.0, seed=1)
    for method in ("t", "fhs"):
        fitted = fit_return_distribution(returns[:3000], forecast[:3000], method, "test")
        assert fitted.scale2 == pytest.approx(1.5, rel=0.1)  # the third of the variance the forecast missed
        var, _ = fitted.value_at_risk(forecast[3000:], TAILS)
        for i, tail in enumerate(TAILS):
            assert var_backtest(returns[3000:] < -var[:, i], tail).p_cc > 0.01
    assert unit_t_dof(
        stats.t.rvs(5.0, size=20000, random_state=np.random.default_rng(3)) * np.sqrt(3 / 5)
    ) == (pytest.approx(5.0, rel=0.15))


def test_fhs_uses_the_empirical_quantiles() -> None:
    returns, forecast = t_returns(1000, 4.0, seed=2)
    fitted = fit_return_distribution(returns, forecast, "fhs", "test")
    z = returns / np.sqrt(fitted.scale2 * forecast)
    var, es = fitted.value_at_risk(np.full(1, 1.0 / fitted.scale2), (0.05,))
    assert var[0, 0] == pytest.approx(-np.quantile(z, 0.05))
    assert es[0, 0] == pytest.approx(-z[z <= np.quantile(z, 0.05)].mean())


def test_bad_inputs_name_the_series_and_the_row() -> None:
    returns, forecast = t_returns(300, 5.0, seed=3)
    with pytest.raises(ValueError, match=r"har \^GSPC 2010: 100 days .* need 250"):
        fit_return_distribution(returns[:100], forecast[:100], "t", "har ^GSPC 2010")
    with pytest.raises(ValueError, match="har x: a variance forecast is not positive"):
        fit_return_distribution(returns, np.where(np.arange(300) == 7, -1.0, forecast), "t", "har x")
    fitted = fit_return_distribution(returns, forecast, "t", "test")
    with pytest.raises(
        ValueError, match=r"har \^GSPC 2011: the forecast must be finite and > 0; row 2 is 0\.0"
    ):
        fitted.value_at_risk(np.array([1e-4, 1e-4, 0.0]), TAILS, "har ^GSPC 2011")
