"""daily_features: the DuckDB SQL against an independent pandas computation, partition by partition."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features
from forge_core.features.reference import compute_daily_features
from forge_core.warehouse.connection import open_warehouse
from tests.conftest import load_raw

KEYS = ["symbol", "date"]


def read_table(path: Path, table: str = "daily_features") -> pd.DataFrame:
    with open_warehouse(path, read_only=True) as conn:
        frame = conn.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
    return frame.assign(date=pd.to_datetime(frame["date"]))


def assert_frames_close(actual: pd.DataFrame, expected: pd.DataFrame, rtol: float) -> None:
    """Same rows, same columns, same NULL pattern, numbers equal to ``rtol`` (relative)."""
    assert set(actual.columns) == set(expected.columns)
    actual = actual.sort_values(KEYS).reset_index(drop=True)
    expected = expected[actual.columns].sort_values(KEYS).reset_index(drop=True)
    pd.testing.assert_frame_equal(actual[KEYS], expected[KEYS], check_dtype=False)
    for column in actual.columns.drop(KEYS):
        a, e = actual[column].to_numpy(float), expected[column].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(e)), f"{column}: NULL patterns differ"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=1e-15, err_msg=column)


def build_in_windows(path: Path, windows: list[DateWindow]) -> None:
    with open_warehouse(path) as conn:
        for window in windows:
            build_daily_features(conn, window)


def test_sql_features_equal_pandas_on_the_real_bundled_data(
    tmp_path: Path, bundled_bars: pd.DataFrame
) -> None:
    path = tmp_path / "w.duckdb"
    span = load_raw(path, bundled_bars)
    build_in_windows(path, [span])
    sql = read_table(path)
    expected = compute_daily_features(bundled_bars)

    assert set(sql["symbol"]) == {"^GSPC", "^IXIC"}  # VIX is joined in, not featurised
    assert (
        len(sql) == len(bundled_bars[bundled_bars["symbol"] != "^VIX"]) - 2
    )  # each symbol's first bar has no return
    assert_frames_close(sql, expected, rtol=1e-9)
    vix_days = sql[sql["date"].between("2014-02-01", "2018-12-31")]
    assert vix_days["vix_level"].notna().mean() > 0.95
    assert sql.loc[sql["date"] < "2014-01-01", "vix_level"].isna().all()


def test_a_partition_built_alone_equals_the_same_rows_of_a_full_rebuild(
    tmp_path: Path, bundled_bars: pd.DataFrame
) -> None:
    bars = bundled_bars[bundled_bars["date"].between("2013-06-01", "2015-06-30")]
    full, incremental = tmp_path / "full.duckdb", tmp_path / "incremental.duckdb"
    span = load_raw(full, bars)
    load_raw(incremental, bars)
    build_in_windows(full, [span])
    # uneven pieces: single days, a week, months, a quarter; each piece reads its own look-back
    cuts = [span.start, dt.date(2013, 6, 4), dt.date(2013, 6, 5), dt.date(2013, 6, 12), dt.date(2013, 9, 1)]
    cuts += [dt.date(2014, m, 1) for m in range(1, 13)] + [dt.date(2015, 4, 1), span.end]
    build_in_windows(incremental, [DateWindow(a, b) for a, b in itertools.pairwise(cuts)])
    # DuckDB's windowed sums add in an order that depends on where the scanned rows start, so the last bits
    # can differ (seen: 8e-12 relative on volume_z, whose mean subtraction cancels digits); nothing more.
    assert_frames_close(read_table(incremental), read_table(full), rtol=1e-10)


def test_features_of_a_day_never_use_later_bars(tmp_path: Path) -> None:
    bars = SyntheticSource(3, seed=11, start=dt.date(2020, 1, 6)).load(
        dt.date(2020, 1, 6), dt.date(2021, 6, 30)
    )
    cutoff = pd.Timestamp("2021-01-15")
    truncated, full = tmp_path / "truncated.duckdb", tmp_path / "full.duckdb"
    build_in_windows(full, [load_raw(full, bars)])
    build_in_windows(truncated, [load_raw(truncated, bars[bars["date"] <= cutoff])])
    before = read_table(full)
    assert_frames_close(read_table(truncated), before[before["date"] <= cutoff], rtol=0)


def test_rebuilding_a_partition_replaces_its_rows_instead_of_adding(tmp_path: Path) -> None:
    bars = SyntheticSource(2, seed=3, start=dt.date(2021, 1, 4)).load(
        dt.date(2021, 1, 4), dt.date(2021, 12, 31)
    )
    path = tmp_path / "w.duckdb"
    span = load_raw(path, bars)
    build_in_windows(path, [span])
    first = read_table(path)
    build_in_windows(path, [span, DateWindow(dt.date(2021, 3, 1), dt.date(2021, 4, 1))])
    pd.testing.assert_frame_equal(read_table(path), first)


@pytest.mark.parametrize("column", ["parkinson_m", "log_yang_zhang_w", "neg_return_m", "volume_z"])
def test_window_features_are_null_until_the_window_is_full(tmp_path: Path, column: str) -> None:
    bars = SyntheticSource(1, seed=5, start=dt.date(2022, 1, 3), include_vix=False).load(
        dt.date(2022, 1, 3), dt.date(2022, 12, 30)
    )
    path = tmp_path / "w.duckdb"
    build_in_windows(path, [load_raw(path, bars)])
    values = read_table(path)[column]
    first_valid = int(values.notna().to_numpy().argmax())
    assert values.iloc[:first_valid].isna().all() and values.iloc[first_valid:].notna().all()
    assert (
        first_valid == {"parkinson_m": 20, "log_yang_zhang_w": 4, "neg_return_m": 21, "volume_z": 61}[column]
    )
