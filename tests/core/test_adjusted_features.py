"""Real-data corrections of the daily features: adjusted returns (adj_close, a splits file), gaps, suspected splits.

Each case is built from synthetic bars whose true daily moves are known, then turned into what a vendor delivers:
raw prices that jump at a split, an adj_close that does not, a dividend, a three-month hole.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forge_core.data.continuity import continuity
from forge_core.data.files import FileSource
from forge_core.data.schema import MarketDataError
from forge_core.data.splits import SPLITS_FILE, ratio_label, suspected_ratio
from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features
from forge_core.features.reference import compute_daily_features
from forge_core.market_tables import build_market_tables
from forge_core.targets import configured_targets
from forge_core.warehouse.connection import open_warehouse
from tests.core.test_features import assert_frames_close, read_table

SPLIT_DAY = pd.Timestamp("2021-06-14")
PRICE_COLUMNS = ["open", "high", "low", "close"]


def true_bars(symbols: int = 2) -> pd.DataFrame:
    """Synthetic bars 2020-2022 whose every move is real (no split, no dividend): adj_close equals close."""
    bars = SyntheticSource(symbols, seed=11, start=dt.date(2020, 1, 6), include_vix=False).load(
        dt.date(2020, 1, 6), dt.date(2022, 6, 30)
    )
    return bars.assign(adj_close=bars["close"])


def split(
    bars: pd.DataFrame, symbol: str, day: pd.Timestamp, ratio: float, *, adjusted: bool
) -> pd.DataFrame:
    """What a vendor delivers after a ``ratio`` split of ``symbol`` on ``day``: raw prices before it are ``ratio``
    times the true ones (the true series is the adjusted one); with ``adjusted``, adj_close is the true close."""
    bars = bars.copy()
    before = (bars["symbol"] == symbol) & (bars["date"] < day)
    bars.loc[before, PRICE_COLUMNS] *= ratio
    bars["adj_close"] = bars["adj_close"].where(adjusted & (bars["symbol"] == symbol), np.nan)
    if adjusted:
        bars.loc[bars["symbol"] != symbol, "adj_close"] = bars.loc[bars["symbol"] != symbol, "close"]
    return bars


def features_of(tmp_path: Path, bars: pd.DataFrame, splits: pd.DataFrame | None = None) -> pd.DataFrame:
    path = tmp_path / f"w{len(list(tmp_path.glob('*.duckdb')))}.duckdb"
    with open_warehouse(path) as conn:
        build_market_tables(conn, bars, configured_targets(), splits)
    return read_table(path)


def on(frame: pd.DataFrame, symbol: str, day: pd.Timestamp) -> pd.Series:
    return frame[(frame["symbol"] == symbol) & (frame["date"] == day)].iloc[0]


def test_adj_close_makes_every_return_feature_the_true_one_across_a_split(tmp_path: Path) -> None:
    truth = true_bars()
    symbol = truth["symbol"].iloc[0]
    delivered = split(truth, symbol, SPLIT_DAY, 2.0, adjusted=True)

    expected, actual = features_of(tmp_path, truth), features_of(tmp_path, delivered)

    # every feature of the split symbol equals the unsplit truth's, to rounding (raw prices differ by 2x)
    assert_frames_close(actual, expected, rtol=1e-9)
    day = on(actual, symbol, SPLIT_DAY)
    raw = delivered[delivered["symbol"] == symbol].set_index("date")
    previous = raw.index[raw.index.get_loc(SPLIT_DAY) - 1]
    assert day["log_return"] == pytest.approx(
        np.log(raw.at[SPLIT_DAY, "adj_close"] / raw.at[previous, "adj_close"])
    )
    f_today, f_before = (raw.at[d, "adj_close"] / raw.at[d, "close"] for d in (SPLIT_DAY, previous))
    assert day["overnight_return"] == pytest.approx(
        np.log(raw.at[SPLIT_DAY, "open"] * f_today / (raw.at[previous, "close"] * f_before))
    )
    assert abs(day["log_return"]) < 0.1 and day["sq_return_d"] < 0.01 and day["yang_zhang_d"] < 0.01
    # range proxies stay on the day's own prices
    assert day["parkinson_d"] == pytest.approx(
        np.log(raw.at[SPLIT_DAY, "high"] / raw.at[SPLIT_DAY, "low"]) ** 2 / (4 * np.log(2))
    )


def test_without_adjustment_a_split_is_a_false_crash_that_continuity_reports(tmp_path: Path) -> None:
    truth = true_bars()
    symbol = truth["symbol"].iloc[0]
    delivered = split(truth, symbol, SPLIT_DAY, 2.0, adjusted=False)
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as conn:
        span = build_market_tables(conn, delivered, configured_targets())
        found = continuity(conn, span)

    assert on(read_table(path), symbol, SPLIT_DAY)["log_return"] == pytest.approx(-np.log(2), abs=0.08)
    (suspect,) = found.splits
    assert (suspect.symbol, suspect.date, ratio_label(suspect.ratio)) == (symbol, SPLIT_DAY.date(), "2:1")
    assert "2:1 split" in suspect.describe() and found.gaps == ()


def test_a_splits_table_gives_the_features_adj_close_gives(tmp_path: Path) -> None:
    truth = true_bars()
    symbol = truth["symbol"].iloc[0]
    with_adj = split(truth, symbol, SPLIT_DAY, 3.0, adjusted=True)
    raw_only = split(truth, symbol, SPLIT_DAY, 3.0, adjusted=False)
    listed = pd.DataFrame({"symbol": [symbol], "date": [SPLIT_DAY], "ratio": [3.0]})

    from_adj, from_splits = features_of(tmp_path, with_adj), features_of(tmp_path, raw_only, listed)

    assert_frames_close(from_splits, from_adj, rtol=1e-9)
    assert_frames_close(from_splits, compute_daily_features(raw_only, listed), rtol=1e-9)


def test_a_dividend_in_adj_close_moves_only_the_ex_day_return(tmp_path: Path) -> None:
    truth = true_bars(1)
    symbol = truth["symbol"].iloc[0]
    ex_day = pd.Timestamp("2021-03-15")
    paid = truth.copy()  # a 1% dividend: adj_close before the ex day is 0.99 of the close
    paid.loc[paid["date"] < ex_day, "adj_close"] = paid.loc[paid["date"] < ex_day, "close"] * 0.99

    plain, adjusted = features_of(tmp_path, truth), features_of(tmp_path, paid)

    difference = (adjusted["log_return"] - plain["log_return"]).abs()
    assert difference[adjusted["date"] != ex_day].max() < 1e-12
    assert on(adjusted, symbol, ex_day)["log_return"] - on(plain, symbol, ex_day)[
        "log_return"
    ] == pytest.approx(-np.log(0.99))
    assert_frames_close(adjusted, compute_daily_features(paid), rtol=1e-9)


def gapped_bars() -> tuple[pd.DataFrame, str, pd.Timestamp]:
    """The first symbol without bars from 2021-02-01 to 2021-04-30 (a 3-month hole)."""
    bars = true_bars()
    symbol = bars["symbol"].iloc[0]
    hole = (bars["symbol"] == symbol) & bars["date"].between("2021-02-01", "2021-04-30")
    bars = bars[~hole].reset_index(drop=True)
    after = bars[(bars["symbol"] == symbol) & (bars["date"] > "2021-04-30")]["date"].min()
    return bars, symbol, after


def test_a_gap_leaves_its_first_return_null_restarts_the_windows_and_keeps_the_row(tmp_path: Path) -> None:
    bars, symbol, after = gapped_bars()
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as conn:
        span = build_market_tables(conn, bars, configured_targets())
        found = continuity(conn, span)
        targets = conn.execute("SELECT * FROM targets WHERE symbol = ?", [symbol]).df()
    features = read_table(path)
    mine = features[features["symbol"] == symbol].reset_index(drop=True)
    first = mine.index[mine["date"] == after][0]

    assert len(features) == len(bars) - 2  # no row lost: every bar but each symbol's first
    for column in ("log_return", "overnight_return", "sq_return_d", "yang_zhang_d", "neg_return_d"):
        assert pd.isna(mine.at[first, column]), column
    assert mine.loc[first, "parkinson_d"] > 0  # the day's own range is known
    # windows restart: a 5-row mean needs 5 bars after the gap (6 for returns), a 22-row one 22 (23)
    assert mine.loc[first : first + 3, "parkinson_w"].isna().all() and pd.notna(
        mine.at[first + 4, "parkinson_w"]
    )
    assert mine.loc[first : first + 4, "sq_return_w"].isna().all() and pd.notna(
        mine.at[first + 5, "sq_return_w"]
    )
    assert mine.loc[first : first + 20, "parkinson_m"].isna().all() and pd.notna(
        mine.at[first + 21, "parkinson_m"]
    )
    assert mine.loc[first : first + 21, "sq_return_m"].isna().all() and pd.notna(
        mine.at[first + 22, "sq_return_m"]
    )
    # no target window spans the hole
    before = mine.at[first - 1, "date"]
    for horizon, rows in targets.groupby("horizon"):
        last_before = rows[rows["date"] < before]["realised_on"].max()
        assert (
            last_before <= before and not ((rows["date"] < after) & (rows["realised_on"] >= after)).any()
        ), horizon
    (gap,) = found.gaps
    assert (gap.symbol, gap.date, gap.missing_weekdays) == (
        symbol,
        after.date(),
        np.busday_count("2021-02-01", "2021-05-01"),
    )
    assert_frames_close(features, compute_daily_features(bars), rtol=1e-9)


def test_the_gap_length_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bars, symbol, after = gapped_bars()
    monkeypatch.setenv("FORGE_GAP_WEEKDAYS", "100")
    assert pd.notna(on(features_of(tmp_path, bars), symbol, after)["log_return"])
    monkeypatch.setenv("FORGE_GAP_WEEKDAYS", "ten")
    with pytest.raises(
        ValueError, match="FORGE_GAP_WEEKDAYS='ten': expected a whole number of weekdays >= 1"
    ):
        features_of(tmp_path, bars)


def test_a_partition_alone_equals_a_full_rebuild_across_gaps_and_splits(tmp_path: Path) -> None:
    bars, _, _ = gapped_bars()
    other = bars["symbol"].iloc[-1]
    bars = split(bars, other, SPLIT_DAY, 2.0, adjusted=True)
    full, pieces = tmp_path / "full.duckdb", tmp_path / "pieces.duckdb"
    for path in (full, pieces):
        with open_warehouse(path) as conn:
            build_market_tables(conn, bars, ())
    span = DateWindow(dt.date(2020, 1, 6), dt.date(2022, 7, 1))
    cuts = [span.start, dt.date(2021, 2, 3), dt.date(2021, 5, 4), dt.date(2021, 5, 10), dt.date(2021, 6, 14)]
    cuts += [dt.date(2021, 6, 15), dt.date(2022, 1, 1), span.end]
    with open_warehouse(pieces) as conn:
        for start, end in itertools.pairwise(cuts):
            build_daily_features(conn, DateWindow(start, end))
    assert_frames_close(read_table(pieces), read_table(full), rtol=1e-10)


def write_folder(folder: Path, bars: pd.DataFrame, splits: str | None = None) -> FileSource:
    folder.mkdir(exist_ok=True)
    out = bars.drop(columns="adj_close") if bars["adj_close"].isna().all() else bars
    out.assign(date=out["date"].dt.strftime("%Y-%m-%d")).to_csv(folder / "prices.csv", index=False)
    if splits is not None:
        (folder / SPLITS_FILE).write_text(splits)
    return FileSource(folder)


def test_a_splits_file_is_read_applied_to_validation_and_stored_with_the_bars(tmp_path: Path) -> None:
    truth = true_bars()
    symbol = truth["symbol"].iloc[0]
    raw = split(truth, symbol, SPLIT_DAY, 0.1, adjusted=False)  # 1:10 reverse split: a +2.3 log jump
    source = write_folder(tmp_path / "folder", raw)

    with pytest.raises(MarketDataError) as refused:
        source.load(dt.date(2020, 1, 1), dt.date(2022, 12, 31))
    message = str(refused.value)
    for fragment in (
        "prices.csv",
        f"symbol {symbol}",
        f"date {SPLIT_DAY.date()}",
        "a 1:10 split?",
        str(tmp_path / "folder" / SPLITS_FILE),
        "FORGE_PLAUSIBILITY=flag",
        "max_abs_log_return",
    ):
        assert fragment in message, f"{fragment!r} missing from {message}"

    source = write_folder(tmp_path / "folder", raw, f"symbol,date,ratio\n{symbol},{SPLIT_DAY.date()},1:10\n")
    checked = source.load_checked(dt.date(2020, 1, 1), dt.date(2022, 12, 31))
    assert checked.splits.to_dict("records") == [{"symbol": symbol, "date": SPLIT_DAY, "ratio": 0.1}]
    assert SPLITS_FILE not in [path.name for path in source.files()]  # not read as prices
    none_in_range = source.load_checked(dt.date(2020, 1, 1), dt.date(2020, 12, 31)).splits
    assert none_in_range.empty


BAD_SPLITS = {
    "bad date": ("{s},2021-13-01,2:1", ["row 2", "column 'date'", "2021-13-01"]),
    "bad ratio": ("{s},2021-06-14,two for one", ["row 2", "column 'ratio'", "two for one"]),
    "zero ratio": ("{s},2021-06-14,0", ["row 2", "column 'ratio'", "'0'"]),
    "implausible ratio": ("{s},2021-06-14,20000:1", ["row 2", "implausible split ratio", "20000:1"]),
    "unknown symbol": ("NOPE,2021-06-14,2:1", ["row 2", "symbol NOPE", "date 2021-06-14", "unknown symbol"]),
    "not a trading day": ("{s},2021-06-13,2:1", ["row 2", "date 2021-06-13", "not a trading day"]),
    "listed twice": ("{s},2021-06-14,2:1\n{s},2021-06-14,2:1", ["row 3", "listed again (first in row 2)"]),
}


@pytest.mark.parametrize("kind", list(BAD_SPLITS))
def test_a_bad_splits_file_is_refused_naming_file_row_symbol_date_and_value(
    tmp_path: Path, kind: str
) -> None:
    truth = true_bars()
    symbol = truth["symbol"].iloc[0]
    line, fragments = BAD_SPLITS[kind]
    source = write_folder(tmp_path / "folder", truth, "symbol,date,ratio\n" + line.format(s=symbol) + "\n")

    with pytest.raises(MarketDataError) as refused:
        source.load(dt.date(2020, 1, 1), dt.date(2022, 12, 31))

    message = str(refused.value)
    for fragment in [str(tmp_path / "folder" / SPLITS_FILE), *fragments]:
        assert fragment in message, f"{fragment!r} missing from {message}"


def test_a_splits_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    source = write_folder(tmp_path / "folder", true_bars(), "ticker,day,factor\nX,2021-06-14,2\n")
    with pytest.raises(MarketDataError, match=r"missing columns \['symbol', 'date', 'ratio'\]"):
        source.load(dt.date(2020, 1, 1), dt.date(2022, 12, 31))


@pytest.mark.parametrize(
    ("move", "label"),
    [(-np.log(2), "2:1"), (-np.log(1.5), "3:2"), (np.log(10), "1:10"), (-np.log(3) + 0.03, "3:1")],
)
def test_common_ratios_are_recognised_within_the_tolerance(move: float, label: str) -> None:
    ratio = suspected_ratio(move)
    assert ratio is not None and ratio_label(ratio) == label


@pytest.mark.parametrize("move", [0.0, -0.1, -0.3, 0.55, np.nan])
def test_ordinary_moves_are_not_splits(move: float) -> None:
    assert suspected_ratio(move) is None
