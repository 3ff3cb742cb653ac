"""The daily close is one transaction: a refusal at any of its steps leaves raw_prices, splits, daily_features and
targets exactly as they were; without one, the day's rows are those the whole span's build gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from forge_core.data.schema import VIX_SYMBOLS
from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.market_tables import build_market_tables, close_market_window
from forge_core.targets import TargetConflict, TargetSpec
from forge_core.warehouse.connection import open_warehouse

SPECS = (TargetSpec("rv_1d", 1, "parkinson"), TargetSpec("rv_5d", 5, "parkinson"))
TABLES = ("raw_prices", "splits", "daily_features", "targets")
DAY = dt.date(2018, 12, 31)


def contents(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each table's rows, hashed in a fixed order."""
    return {
        table: str(
            conn.execute(
                f"SELECT count(*), sum(hash(t)) FROM (SELECT * FROM {table} ORDER BY ALL) t"
            ).fetchall()
        )
        for table in TABLES
    }


@pytest.fixture
def closed_before(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """A warehouse built up to the day before ``DAY``, and the bars of ``DAY``."""
    bars = SyntheticSource(2, seed=3, start=dt.date(2018, 1, 2), today=DAY).load(dt.date(2018, 1, 2), DAY)
    path = tmp_path / "warehouse.duckdb"
    with open_warehouse(path) as conn:
        build_market_tables(conn, bars[bars["date"] < pd.Timestamp(DAY)], SPECS)
    return path, bars[bars["date"] == pd.Timestamp(DAY)]


def test_a_refused_targets_step_leaves_all_three_tables_as_they_were(
    closed_before: tuple[Path, pd.DataFrame],
) -> None:
    path, day = closed_before
    window = DateWindow(DAY, DAY + dt.timedelta(days=1))
    redeclared = (TargetSpec("rv_1d", 5, "parkinson"),)  # a stored name under another definition: refused
    with open_warehouse(path) as conn:
        before = contents(conn)
        with pytest.raises(TargetConflict, match="nothing was written"):
            close_market_window(conn, day, window, redeclared)
        assert contents(conn) == before  # the day's bars and features were rolled back with the targets


def test_a_close_writes_what_the_whole_span_build_writes(
    closed_before: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    path, day = closed_before
    with open_warehouse(path) as conn:
        closed = close_market_window(conn, day, DateWindow(DAY, DAY + dt.timedelta(days=1)), SPECS)
        traded = int((~day["symbol"].isin(VIX_SYMBOLS)).sum())  # VIX is an input: bars, no features
        assert closed.ingestion.added == len(day) and closed.features == traded and closed.targets > 0
        live, live_features = contents(conn), features(conn)
    bars = SyntheticSource(2, seed=3, start=dt.date(2018, 1, 2), today=DAY).load(dt.date(2018, 1, 2), DAY)
    with open_warehouse(tmp_path / "whole.duckdb") as conn:
        build_market_tables(conn, bars, SPECS)
        whole, whole_features = contents(conn), features(conn)
    assert {t: live[t] for t in TABLES if t != "daily_features"} == {
        t: whole[t] for t in TABLES if t != "daily_features"
    }
    # window means are exact fixed-point sums: the day built alone equals the span build bit for bit
    pd.testing.assert_frame_equal(live_features, whole_features, check_exact=True)


def features(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return conn.execute("SELECT * FROM daily_features ORDER BY symbol, date").df()
