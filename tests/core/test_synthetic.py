"""The synthetic market: determinism, the canonical schema, the calendar and the model's stylised facts."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from forge_core.data.schema import CANONICAL_COLUMNS, VIX_SYMBOLS
from forge_core.data.synthetic import (
    VIX_SYMBOL,
    RegimeShift,
    SyntheticMarketParams,
    SyntheticSource,
    trading_days,
)

FAR_FUTURE = datetime.date(2100, 1, 1)


def _overlap(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = a[["symbol", "date"]].merge(b[["symbol", "date"]])
    assert len(keys) > 0

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.merge(keys).sort_values(["symbol", "date"]).reset_index(drop=True)

    return pick(a), pick(b)


def _close_returns(frame: pd.DataFrame) -> pd.DataFrame:
    traded = frame[frame["symbol"] != VIX_SYMBOL]
    return np.log(traded.pivot(index="date", columns="symbol", values="close")).diff().iloc[1:]


@pytest.fixture(scope="module")
def long_sample() -> pd.DataFrame:
    """10 symbols over 30 years: enough days for tolerant statistical checks."""
    source = SyntheticSource(10, seed=3, start=datetime.date(1990, 1, 1), today=FAR_FUTURE)
    return source.load(datetime.date(1990, 1, 1), datetime.date(2019, 12, 31))


def test_overlapping_ranges_agree_exactly() -> None:
    source = SyntheticSource(4, seed=11, start=datetime.date(2001, 2, 14), today=FAR_FUTURE)
    first = source.load(datetime.date(2000, 6, 1), datetime.date(2003, 6, 30))
    second = source.load(datetime.date(2002, 12, 28), datetime.date(2005, 3, 1))
    a, b = _overlap(first, second)
    assert a["date"].min() == pd.Timestamp("2002-12-30") and a["date"].max() == pd.Timestamp("2003-06-30")
    pdt.assert_frame_equal(a, b, check_exact=True)


def test_symbol_rows_do_not_depend_on_n_symbols() -> None:
    small = SyntheticSource(2, seed=5, today=FAR_FUTURE).load(
        datetime.date(2000, 1, 1), datetime.date(2004, 1, 1)
    )
    large = SyntheticSource(10, seed=5, today=FAR_FUTURE).load(
        datetime.date(2002, 1, 1), datetime.date(2006, 1, 1)
    )
    for symbol in ("SYN001", VIX_SYMBOL):
        a, b = _overlap(small[small["symbol"] == symbol], large[large["symbol"] == symbol])
        pdt.assert_frame_equal(a, b, check_exact=True)


def test_different_seeds_give_different_paths() -> None:
    window = (datetime.date(2000, 1, 1), datetime.date(2001, 1, 1))
    a = SyntheticSource(3, seed=1, today=FAR_FUTURE).load(*window)
    b = SyntheticSource(3, seed=2, today=FAR_FUTURE).load(*window)
    assert a[["symbol", "date"]].equals(b[["symbol", "date"]])
    assert not np.isclose(a["close"].to_numpy(), b["close"].to_numpy()).any()


def test_canonical_frame_and_ohlc_invariants() -> None:
    source = SyntheticSource(20, seed=9, start=datetime.date(2010, 1, 1), today=FAR_FUTURE)
    frame = source.load(datetime.date(2010, 1, 1), datetime.date(2014, 12, 31))
    assert tuple(frame.columns) == CANONICAL_COLUMNS
    assert frame["symbol"].dtype == object and frame["date"].dtype == "datetime64[ns]"
    assert all(frame[c].dtype == np.float64 for c in CANONICAL_COLUMNS[2:])
    assert set(frame["symbol"]) == {*source.symbols, VIX_SYMBOL} and VIX_SYMBOL in VIX_SYMBOLS
    assert frame.equals(frame.sort_values(["symbol", "date"], ignore_index=True))
    assert not frame.duplicated(["symbol", "date"]).any()
    dates = frame["date"]
    assert (dates == dates.dt.normalize()).all() and (dates.dt.dayofweek < 5).all()
    assert dates.min() == pd.Timestamp("2010-01-01") and dates.max() == pd.Timestamp("2014-12-31")
    assert (
        frame.groupby("symbol")["date"].count()
        == len(trading_days(datetime.date(2010, 1, 1), datetime.date(2014, 12, 31)))
    ).all()
    prices = frame[["open", "high", "low", "close", "adj_close"]].to_numpy()
    assert np.isfinite(prices).all() and (prices > 0).all()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["adj_close"] == frame["close"]).all()
    traded = frame[frame["symbol"] != VIX_SYMBOL]
    assert (traded["volume"] > 0).all() and (traded["volume"] == traded["volume"].round()).all()
    assert (traded["high"] > traded["low"]).all()
    assert traded.groupby("symbol")["close"].first().between(40, 250).all()


def test_vix_rows_are_a_flat_positive_level() -> None:
    frame = SyntheticSource(2, today=FAR_FUTURE).load(datetime.date(2000, 1, 1), datetime.date(2002, 1, 1))
    vix = frame[frame["symbol"] == VIX_SYMBOL]
    assert len(vix) == len(trading_days(datetime.date(2000, 1, 3), datetime.date(2002, 1, 1)))
    for column in ("open", "high", "low", "adj_close"):
        assert (vix[column] == vix["close"]).all()
    assert (vix["close"] > 0).all() and (vix["volume"] == 0).all()
    no_vix = SyntheticSource(2, include_vix=False, today=FAR_FUTURE).load(
        datetime.date(2000, 1, 1), datetime.date(2001, 1, 1)
    )
    assert set(no_vix["symbol"]) == {"SYN000", "SYN001"}


def test_rows_stop_at_today_and_start_at_source_start() -> None:
    source = SyntheticSource(2, start=datetime.date(2024, 3, 6), today=datetime.date(2024, 6, 12))
    frame = source.load(datetime.date(2024, 1, 1), datetime.date(2030, 1, 1))
    assert frame["date"].min() == pd.Timestamp("2024-03-06") and frame["date"].max() == pd.Timestamp(
        "2024-06-12"
    )
    weekend_today = SyntheticSource(2, start=datetime.date(2024, 3, 6), today=datetime.date(2024, 6, 16))
    assert weekend_today.load(datetime.date(2024, 6, 1), FAR_FUTURE)["date"].max() == pd.Timestamp(
        "2024-06-14"
    )
    empty = source.load(datetime.date(2023, 1, 1), datetime.date(2024, 3, 5))
    assert empty.empty and tuple(empty.columns) == CANONICAL_COLUMNS
    assert empty["date"].dtype == "datetime64[ns]" and empty["close"].dtype == np.float64


def test_default_today_is_the_real_today() -> None:
    before = datetime.date.today()
    source = SyntheticSource(1, start=before - datetime.timedelta(days=40))
    last = source.load(before - datetime.timedelta(days=20), before + datetime.timedelta(days=30))[
        "date"
    ].max()
    after = datetime.date.today()
    assert last in {trading_days(before - datetime.timedelta(days=10), day)[-1] for day in (before, after)}


def test_symbol_names_and_params_validation() -> None:
    assert SyntheticSource(3).symbols == ["SYN000", "SYN001", "SYN002"]
    assert SyntheticSource(1000).symbols[-1] == "SYN999"
    assert SyntheticSource(1001).symbols[:2] == ["SYN0000", "SYN0001"]
    assert SyntheticSource.name == "synthetic"
    with pytest.raises(ValueError, match="persistence"):
        SyntheticMarketParams(persistence=1.0)
    with pytest.raises(ValueError, match="overnight_share"):
        SyntheticMarketParams(overnight_share=1.5)


def test_trading_days_are_weekdays() -> None:
    days = trading_days(datetime.date(2024, 6, 1), datetime.date(2024, 6, 30))
    assert len(days) == 20 and days[0] == pd.Timestamp("2024-06-03") and (days.dayofweek < 5).all()


def test_volatility_clusters_and_tails_are_fat(long_sample: pd.DataFrame) -> None:
    returns = _close_returns(long_sample)
    squared = returns**2
    assert np.mean([squared[c].autocorr(1) for c in returns]) > 0.05
    pooled = returns.to_numpy().ravel() - returns.to_numpy().mean()
    assert np.mean(pooled**4) / np.mean(pooled**2) ** 2 > 4.0
    annual_vol = np.sqrt(252 * np.mean(pooled**2))
    assert 0.1 < annual_vol < 0.35


def test_leverage_and_cross_asset_correlation(long_sample: pd.DataFrame) -> None:
    returns = _close_returns(long_sample).to_numpy()
    leverage = [np.corrcoef(returns[:-1, j], np.abs(returns[1:, j]))[0, 1] for j in range(returns.shape[1])]
    assert np.mean(leverage) < -0.02
    correlations = np.corrcoef(returns.T)[np.triu_indices(returns.shape[1], 1)]
    assert 0.1 < correlations.mean() < 0.7


def test_range_is_consistent_with_returns(long_sample: pd.DataFrame) -> None:
    traded = long_sample[long_sample["symbol"] != VIX_SYMBOL]
    parkinson = np.mean(np.log(traded["high"] / traded["low"]) ** 2) / (4 * np.log(2))
    ratio = parkinson / np.mean(_close_returns(long_sample).to_numpy() ** 2)
    assert 0.5 < ratio < 1.2  # the range misses the overnight share of the variance


def test_vix_tracks_realised_volatility_and_volume_rises_with_it(long_sample: pd.DataFrame) -> None:
    returns = _close_returns(long_sample)
    vix = long_sample[long_sample["symbol"] == VIX_SYMBOL].set_index("date")["close"]
    realised = np.sqrt(252 * (returns**2).mean(axis=1).rolling(22).mean()).dropna()
    assert np.corrcoef(vix.loc[realised.index], realised)[0, 1] > 0.4
    assert 8 < vix.median() < 40
    traded = long_sample[long_sample["symbol"] != VIX_SYMBOL]
    volume = np.log(traded.pivot(index="date", columns="symbol", values="volume")).iloc[1:]
    assert np.mean([np.corrcoef(volume[c], returns[c].abs())[0, 1] for c in returns]) > 0.2


def test_a_regime_shift_changes_nothing_before_it_and_scales_volatility_after() -> None:
    on = datetime.date(2010, 1, 4)
    plain = SyntheticSource(5, seed=3, start=datetime.date(2000, 1, 3), today=FAR_FUTURE)
    shifted = SyntheticSource(
        5, seed=3, start=datetime.date(2000, 1, 3), today=FAR_FUTURE, shift=RegimeShift(on, 2.0)
    )
    span = (datetime.date(2000, 1, 3), datetime.date(2019, 12, 31))
    a, b = plain.load(*span), shifted.load(*span)
    before = a["date"] < pd.Timestamp(on)
    pdt.assert_frame_equal(a[before], b[before], check_exact=True)

    ratio = _close_returns(b[~before]).std() / _close_returns(a[~before]).std()
    assert ratio.between(1.7, 2.3).all(), ratio  # jumps are not scaled: a little under 2
    vix = [f.loc[(f["symbol"] == VIX_SYMBOL) & ~before, "close"].mean() for f in (a, b)]
    assert 1.7 < vix[1] / vix[0] < 2.3


@pytest.mark.parametrize(
    "text", ["2019-13-01", "2019-03-26*x", "2019-03-26*-2", "2019-03-26*", "2019-03-26*inf"]
)
def test_a_malformed_regime_shift_is_named(text: str) -> None:
    with pytest.raises(ValueError, match="regime shift"):
        RegimeShift.parse(text)
    assert RegimeShift.parse("2019-03-26*1.5") == RegimeShift(datetime.date(2019, 3, 26), 1.5)
