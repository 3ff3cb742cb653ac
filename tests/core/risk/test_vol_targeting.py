"""Volatility targeting: a perfect forecast hits the target, the cap holds, tomorrow never sets today's exposure,
and the scores are what they say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.risk.risk_report import paired_returns
from forge_core.risk.vol_targeting import buy_and_hold, strategy_backtest, vol_target
from tests.core.risk.test_risk_report import market as t_market

YEARS = [2010, 2011, 2012]


def market(n: int = 4000, seed: int = 0) -> tuple[pd.Series, pd.Series]:
    """Returns whose variance is known a day ahead: the forecast made at close t is day t+1's variance."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2005-01-03", periods=n)
    variance = np.exp(-9.0 + np.cumsum(rng.normal(0, 0.05, n)).clip(-1.5, 1.5))
    returns = pd.Series(np.sqrt(variance) * rng.standard_normal(n), index=days)
    forecast = pd.Series(variance[1:], index=days[:-1])
    return returns, forecast


def test_a_perfect_forecast_hits_the_target_and_buy_and_hold_does_not() -> None:
    returns, forecast = market()
    strategy = vol_target(returns, forecast, "perfect", cap=10.0)
    scores = strategy.scores(0.10)
    assert scores["annual_volatility"] == pytest.approx(0.10, rel=0.05)
    held = buy_and_hold(returns, strategy.returns.index).scores(0.10)
    assert held["vol_tracking_error"] > 2 * scores["vol_tracking_error"]
    assert strategy.exposure.index[0] == returns.index[1]  # nothing is earned on the first day


def test_the_cap_holds() -> None:
    returns, forecast = market()
    capped = vol_target(returns, forecast / 100.0, "tiny forecasts", cap=1.5)
    assert capped.exposure.max() == pytest.approx(1.5) and (capped.exposure <= 1.5).all()


def test_tomorrow_never_sets_todays_exposure() -> None:
    returns, forecast = market()
    changed_returns, changed_forecast = returns.copy(), forecast.copy()
    changed_returns.iloc[3000:] *= 5.0
    changed_forecast.iloc[3000:] *= 5.0  # made at closes 3000.. : first earned on day 3001
    a, b = vol_target(returns, forecast, "a"), vol_target(changed_returns, changed_forecast, "b")
    pd.testing.assert_series_equal(a.exposure.iloc[:3000], b.exposure.iloc[:3000], check_names=False)
    pd.testing.assert_series_equal(a.returns.iloc[:2999], b.returns.iloc[:2999], check_names=False)


def test_drawdown_turnover_and_bad_forecasts() -> None:
    days = pd.bdate_range("2020-01-01", periods=4)
    result = buy_and_hold(pd.Series([0.10, -0.5, 0.2, 0.0], index=days), days)
    assert result.scores(0.1)["max_drawdown"] == pytest.approx(0.5) and result.scores(0.1)["turnover"] == 0.0
    returns, forecast = market(100)
    with pytest.raises(ValueError, match=r"har: the variance forecast of 2005-01-05 00:00:00 is -1.0"):
        vol_target(returns, forecast.where(forecast.index != "2005-01-05", -1.0), "har")


def test_the_strategy_backtest_ranks_forecasts_and_keeps_to_the_past() -> None:
    returns, forecasts = t_market()
    right = forecasts[forecasts["model"] == "right"]
    flat = right.assign(model="flat", forecast=right["forecast"].mean())
    models = pd.concat(
        [right.assign(model="har"), right.assign(model="quarter", forecast=right["forecast"] / 4), flat]
    )
    table, strategies = strategy_backtest(paired_returns(models, returns), YEARS, calibration_days=250)
    scores = table.set_index("strategy")
    assert set(scores.index) == {"har", "quarter", "flat", "buy_and_hold"}
    assert scores.loc["quarter", "sharpe"] == pytest.approx(
        scores.loc["har", "sharpe"]
    )  # the scale is recalibrated
    assert scores.loc["har", "vol_tracking_error"] < scores.loc["flat", "vol_tracking_error"]
    assert (
        scores.loc["har", "sharpe_minus_har"] == 0.0
        and (strategies[("SYN", "buy_and_hold")].exposure == 1).all()
    )
    changed = returns.copy()
    changed.loc[changed["date"] >= "2012-01-01", "log_return"] *= 3.0
    _, again = strategy_backtest(paired_returns(models, changed), YEARS, calibration_days=250)
    first = strategies[("SYN", "har")].exposure
    pd.testing.assert_series_equal(first[:"2011-12-31"], again[("SYN", "har")].exposure[:"2011-12-31"])


def test_a_non_positive_forecast_is_named_with_its_model_symbol_and_year() -> None:
    returns, forecasts = t_market()
    right = forecasts[forecasts["model"] == "right"].assign(model="har")
    right.loc[right["date"] == "2011-03-01", "forecast"] = 0.0
    with pytest.raises(ValueError, match=r"har SYN 2011: the forecast of 2011-03-01 is 0\.0, not > 0"):
        strategy_backtest(paired_returns(right, returns), YEARS, calibration_days=250)
