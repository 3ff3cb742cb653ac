"""Synthetic option chains and quote summaries: valid quotes, reproducible and independent of the range asked
for, at-the-money implied volatility set by the market's own expected variance, a put skew from its leverage
effect; spreads that widen with volatility and order flow that follows the day's return."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.options.implied_vol import implied_vol
from forge_core.options.quote_validation import validate_option_quotes
from forge_core.options.synthetic_chains import (
    EXPIRY_DAYS,
    MONEYNESS,
    SUMMARY_COLUMNS,
    expected_variance,
    option_chains,
    quote_summaries,
)
from forge_core.units import TRADING_DAYS_PER_YEAR

START, END = dt.date(2016, 1, 4), dt.date(2016, 12, 30)


@pytest.fixture(scope="module")
def source() -> SyntheticSource:
    return SyntheticSource(2, seed=3, start=dt.date(2015, 1, 2), today=END)


@pytest.fixture(scope="module")
def quotes(source: SyntheticSource) -> pd.DataFrame:
    return option_chains(source, START, END)


def mid_vols(quotes: pd.DataFrame) -> np.ndarray:
    t = (quotes["expiry"] - quotes["date"]).dt.days.to_numpy() / 365
    forward = quotes["underlying_price"] * np.exp((quotes["rate"] - quotes["dividend_yield"]) * t)
    result = implied_vol(
        ((quotes["bid"] + quotes["ask"]) / 2).to_numpy(),
        forward.to_numpy(),
        quotes["strike"].to_numpy(),
        t,
        (quotes["option_type"] == "C").to_numpy(),
        np.exp(-quotes["rate"] * t).to_numpy(),
    )
    assert result.solved.all()
    return result.vol


def test_chains_are_valid_reproducible_and_independent_of_the_range(
    source: SyntheticSource, quotes: pd.DataFrame
) -> None:
    days = quotes.groupby(["symbol", "date"]).size()
    assert len(days) == 2 * len(pd.bdate_range(START, END))
    assert days.min() >= 2 * len(EXPIRY_DAYS) * (len(MONEYNESS) - 2)  # strikes that round together count once
    validated = validate_option_quotes(quotes.astype({"date": str, "expiry": str}), "synthetic")
    assert len(validated) == len(quotes)
    june = option_chains(source, dt.date(2016, 6, 1), dt.date(2016, 6, 30))
    inside = quotes[quotes["date"].between("2016-06-01", "2016-06-30")].reset_index(drop=True)
    pd.testing.assert_frame_equal(june, inside)
    again = option_chains(SyntheticSource(2, seed=3, start=dt.date(2015, 1, 2), today=END), START, END)
    pd.testing.assert_frame_equal(again, quotes)
    one = option_chains(source, START, END, symbols=["SYN001"])  # a subset is those symbols' rows, unchanged
    pd.testing.assert_frame_equal(one, quotes[quotes["symbol"] == "SYN001"].reset_index(drop=True))


def test_atm_vol_is_the_expected_variance_and_puts_carry_the_skew(
    source: SyntheticSource, quotes: pd.DataFrame
) -> None:
    quotes = quotes.assign(vol=mid_vols(quotes))
    states = source.variance_states(START, END)
    n = EXPIRY_DAYS[0]
    model = source.params.vix_premium * np.sqrt(
        TRADING_DAYS_PER_YEAR * expected_variance(source, states.log_variance, states.long_run, n)
    )
    first = quotes[quotes["expiry"] - quotes["date"] == quotes["expiry"].sub(quotes["date"]).min()]
    t = n / TRADING_DAYS_PER_YEAR
    forward = first["underlying_price"] * np.exp(0.005 * t)
    nearest = first.assign(gap=np.abs(np.log(first["strike"] / forward))).sort_values("gap")
    atm = nearest.groupby(["symbol", "date"])["vol"].first().unstack("symbol")
    expected = pd.DataFrame(model, index=pd.DatetimeIndex(states.dates), columns=states.symbols)
    assert np.abs(atm / expected.loc[atm.index] - 1).median().max() < 0.03
    assert np.corrcoef(atm.to_numpy().ravel(), expected.loc[atm.index].to_numpy().ravel())[0, 1] > 0.98
    wing = first.assign(m=np.log(first["strike"] / forward))
    low = wing[wing["m"] < wing.groupby(["symbol", "date"])["m"].transform("quantile", 0.2)]["vol"].mean()
    high = wing[wing["m"] > wing.groupby(["symbol", "date"])["m"].transform("quantile", 0.8)]["vol"].mean()
    assert low > 1.1 * high  # leverage < 0: low strikes (puts' side) carry the higher volatility


def test_quote_summaries_follow_the_days_volatility_and_return(source: SyntheticSource) -> None:
    summaries = quote_summaries(source, START, END)
    assert list(summaries.columns) == list(SUMMARY_COLUMNS) and (summaries["bid"] < summaries["ask"]).all()
    june = quote_summaries(source, dt.date(2016, 6, 1), dt.date(2016, 6, 30))
    inside = summaries[summaries["date"].between("2016-06-01", "2016-06-30")].reset_index(drop=True)
    pd.testing.assert_frame_equal(june, inside)
    bars = source.load(START, END)
    rows = summaries.merge(bars, on=["symbol", "date"])
    states = source.variance_states(START, END)
    sd = pd.DataFrame(
        np.exp(states.log_variance / 2), index=pd.DatetimeIndex(states.dates), columns=states.symbols
    )
    rows["sd"] = [sd.at[d, s] for d, s in zip(rows["date"], rows["symbol"], strict=True)]
    spread = (rows["ask"] - rows["bid"]) / rows["close"]
    assert np.corrcoef(spread, rows["sd"])[0, 1] > 0.7  # wider when volatile
    flow = (rows["buy_volume"] - rows["sell_volume"]) / (rows["buy_volume"] + rows["sell_volume"])
    day_return = np.log(rows["close"]).groupby(rows["symbol"]).diff()
    known = day_return.notna()
    assert np.corrcoef(flow[known], day_return[known])[0, 1] > 0.7  # buyers on up days
