"""The risk backtest table: a right model passes and an understated one fails, per year and overall; a year's
VaR never sees that year's returns; a year without enough history to calibrate is named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forge_core.risk.risk_report import RISK_COLUMNS, paired_returns, risk_backtest


def market(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One symbol, 2008-2012: the forecast at t is the variance of t+1's return (t shocks, 5 dof)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2008-01-01", "2012-12-31")
    variance = np.exp(-9.0 + np.cumsum(rng.normal(0, 0.05, len(days))).clip(-1, 1))
    shocks = stats.t.rvs(5, size=len(days), random_state=rng) * np.sqrt(3 / 5)
    returns = np.r_[0.0, np.sqrt(variance[:-1]) * shocks[1:]]
    frame = pd.DataFrame({"symbol": "SYN", "date": days, "log_return": returns})
    right = pd.DataFrame({"symbol": "SYN", "date": days, "model": "right", "forecast": variance})
    return frame, pd.concat([right, right.assign(model="quarter", forecast=variance / 4)])


def test_a_right_model_passes_and_an_understated_one_fails() -> None:
    returns, forecasts = market()
    table = risk_backtest(paired_returns(forecasts, returns), [2010, 2011, 2012], calibration_days=250)
    assert list(table.columns) == RISK_COLUMNS
    assert set(table["period"]) == {"2010", "2011", "2012", "all"}
    overall = table[table["period"] == "all"].set_index(["model", "method", "tail"]).sort_index()
    assert (overall.loc["right", "p_cc"] > 0.01).all()
    # the scale is calibrated on past days: a forecast a quarter too small is rescaled, not punished
    assert overall.loc["quarter", "violations"].equals(overall.loc["right", "violations"])


def test_a_years_var_never_sees_its_own_returns() -> None:
    returns, forecasts = market()
    changed = returns.copy()
    changed.loc[changed["date"] >= "2012-01-01", "log_return"] *= 3.0
    a = risk_backtest(paired_returns(forecasts, returns), [2010, 2011, 2012], calibration_days=250)
    b = risk_backtest(paired_returns(forecasts, changed), [2010, 2011, 2012], calibration_days=250)
    before = a["period"].isin(["2010", "2011"])
    pd.testing.assert_frame_equal(a[before], b[before])
    assert not a[a["period"] == "2012"].equals(b[b["period"] == "2012"])


def test_a_year_without_calibration_history_is_named() -> None:
    returns, forecasts = market()
    with pytest.raises(ValueError, match=r"quarter SYN 2008: \d+ days .* need 250"):
        risk_backtest(paired_returns(forecasts, returns), [2008], calibration_days=500)


def test_h_day_var_scores_the_h_day_return_on_non_overlapping_days() -> None:
    returns, forecasts = market(seed=3)
    h = 5
    # the h-day forecast: the mean daily variance of t+1..t+h (here the known variance path)
    daily = returns.set_index("date")["log_return"]
    variance = forecasts[forecasts["model"] == "right"].set_index("date")["forecast"]
    mean_ahead = (
        variance.rolling(h).mean().shift(-h + 1)
    )  # of days t..t+h-1, the variances of t+1..t+h's returns
    h_forecasts = pd.DataFrame(
        {"symbol": "SYN", "date": variance.index, "model": "right", "forecast": mean_ahead.to_numpy()}
    ).dropna()
    pairs = paired_returns(h_forecasts, returns, h)
    day = pd.Timestamp("2010-06-01")
    row = pairs[pairs["date"] == day].iloc[0]
    position = daily.index.get_loc(day)
    assert row["next_return"] == pytest.approx(daily.iloc[position + 1 : position + 1 + h].sum())
    assert row["return_date"] == daily.index[position + h]
    table = risk_backtest(pairs, [2011, 2012], calibration_days=250, horizon=h)
    overall = table[table["period"] == "all"].set_index(["method", "tail"])
    scored = pairs.dropna(subset=["next_return"]).iloc[::h]
    in_years = scored["return_date"].dt.year.isin([2011, 2012]).sum()
    assert (overall["days"] == in_years).all()  # every h-th day: violations never share a return day
    assert (overall["p_cc"] > 0.01).all()  # the right h-day variance passes
