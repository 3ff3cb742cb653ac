"""Option features in DuckDB SQL equal their pandas reference, a partition rebuilt alone equals a full build, the
implied variance tracks the market's expected variance, and quotes without a volatility stay in the table, flagged."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.market_tables import build_market_tables
from forge_core.options.option_features import (
    OPTION_FEATURE_COLUMNS,
    build_option_features,
    option_features_reference,
)
from forge_core.options.priced_quotes import write_option_quotes
from forge_core.options.synthetic_chains import option_chains
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

START, END = dt.date(2016, 1, 4), dt.date(2016, 12, 31)
WINDOW = DateWindow(START, END)


@pytest.fixture(scope="module")
def warehouse() -> duckdb.DuckDBPyConnection:
    source = SyntheticSource(2, seed=11, start=dt.date(2014, 1, 2), today=END)
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, source.load(dt.date(2014, 1, 2), END), (TargetSpec("rv_1d", 1),))
    quotes = option_chains(source, START, END)
    quotes.loc[quotes.index[::97], "bid"] = 1e6  # above the bound: stored, flagged, no volatility
    quotes.loc[quotes.index[::97], "ask"] = 1e6 + 1
    write_option_quotes(conn, quotes, WINDOW)
    return conn


def test_sql_equals_the_pandas_reference(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert build_option_features(warehouse, WINDOW) == 2 * len(pd.bdate_range(START, END))
    sql = warehouse.execute("SELECT * FROM option_features ORDER BY symbol, date").df()
    quotes = warehouse.execute("SELECT * FROM option_quotes").df()
    features = warehouse.execute("SELECT symbol, date, sq_return_m FROM daily_features").df()
    reference = option_features_reference(quotes, features)
    assert list(sql.columns) == OPTION_FEATURE_COLUMNS
    pd.testing.assert_frame_equal(sql, reference, check_dtype=False, rtol=1e-10)
    flagged = quotes[quotes["iv_flag"] != "ok"]
    assert (
        len(flagged) > 0
        and flagged["implied_vol"].isna().all()
        and set(flagged["iv_flag"]) == {"above_bound"}
    )


def test_a_month_rebuilt_alone_equals_the_full_build(warehouse: duckdb.DuckDBPyConnection) -> None:
    build_option_features(warehouse, WINDOW)
    full = warehouse.execute("SELECT * FROM option_features WHERE month(date) = 6 ORDER BY ALL").df()
    for _ in range(2):  # idempotent: re-running a partition gives the same rows, never doubles
        build_option_features(warehouse, DateWindow(dt.date(2016, 6, 1), dt.date(2016, 7, 1)))
    again = warehouse.execute("SELECT * FROM option_features WHERE month(date) = 6 ORDER BY ALL").df()
    pd.testing.assert_frame_equal(full, again)


def test_implied_variance_is_the_markets_expected_variance_with_its_premium(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    build_option_features(warehouse, WINDOW)
    rows = warehouse.execute(
        "SELECT o.atm_var_30d, o.rr25, o.vrp, f.sq_return_m FROM option_features o "
        "JOIN daily_features f USING (symbol, date)"
    ).df()
    assert (rows["rr25"] < 0).all()  # puts dearer: the leverage effect
    assert rows["vrp"].median() > 0  # the VIX premium: implied above realised
    log_implied, log_realised = np.log(rows["atm_var_30d"]), np.log(252 * rows["sq_return_m"])
    assert np.corrcoef(log_implied, log_realised)[0, 1] > 0.5
