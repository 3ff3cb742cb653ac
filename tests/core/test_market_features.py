"""Microstructure and cross-asset features in DuckDB SQL equal their pandas reference; a year rebuilt alone equals
the full build; order flow follows returns."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.features.market_features import (
    MARKET_FEATURE_COLUMNS,
    build_market_features,
    market_features_reference,
)
from forge_core.market_tables import build_market_tables
from forge_core.options.priced_quotes import write_quote_summaries
from forge_core.options.synthetic_chains import quote_summaries
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

FIRST, END = dt.date(2014, 1, 2), dt.date(2016, 12, 31)


@pytest.fixture(scope="module")
def warehouse() -> duckdb.DuckDBPyConnection:
    source = SyntheticSource(3, seed=13, start=FIRST, today=END)
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, source.load(FIRST, END), (TargetSpec("rv_1d", 1),))
    summaries = quote_summaries(source, dt.date(2015, 1, 1), END)
    write_quote_summaries(
        conn, summaries[summaries["date"] != "2016-05-02"], DateWindow(dt.date(2015, 1, 1), END)
    )
    build_market_features(conn, DateWindow(FIRST, END))
    return conn


def test_sql_equals_the_pandas_reference(warehouse: duckdb.DuckDBPyConnection) -> None:
    sql = warehouse.execute("SELECT * FROM market_features ORDER BY symbol, date").df()
    features = warehouse.execute("SELECT symbol, date, log_return, vix_change FROM daily_features").df()
    summaries = warehouse.execute("SELECT * EXCLUDE (created_at) FROM quote_summaries").df()
    reference = market_features_reference(features, summaries)
    assert list(sql.columns) == MARKET_FEATURE_COLUMNS
    pd.testing.assert_frame_equal(
        sql.astype({"corr_breakout": float}),
        reference.astype({"corr_breakout": float}),
        check_dtype=False,
        rtol=1e-9,
    )
    missing = sql[sql["date"] == "2016-05-02"]
    assert missing["spread_bps"].isna().all() and missing["corr_market_63"].notna().all()  # no quote that day


def test_a_year_rebuilt_alone_equals_the_full_build(warehouse: duckdb.DuckDBPyConnection) -> None:
    full = warehouse.execute("SELECT * FROM market_features WHERE year(date) = 2016 ORDER BY ALL").df()
    for _ in range(2):
        build_market_features(warehouse, DateWindow(dt.date(2016, 1, 1), END))
    again = warehouse.execute("SELECT * FROM market_features WHERE year(date) = 2016 ORDER BY ALL").df()
    pd.testing.assert_frame_equal(full, again)


def test_flow_follows_returns(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        "SELECT m.ofi, f.log_return, m.corr_market_63 FROM market_features m JOIN daily_features f "
        "USING (symbol, date) WHERE m.ofi IS NOT NULL"
    ).df()
    assert np.corrcoef(rows["ofi"], rows["log_return"])[0, 1] > 0.7
    assert rows["corr_market_63"].dropna().between(-1, 1).all()
