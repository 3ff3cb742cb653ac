"""A real in-memory warehouse with the bundled S&P 500 bars and walk-forward forecasts of two cheap families."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pandas as pd
import pytest

from forge_core.data.schema import VIX_SYMBOLS
from forge_core.date_window import yearly_windows
from forge_core.forecasting.forecast_store import load_member_history, write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.live import LiveFit, LiveSettings, fit_live
from forge_core.market_tables import build_market_tables
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

SPEC = TargetSpec("rv_1d", 1, "parkinson")
BACKFILLED = ("har", "log_har")
AS_OF = dt.date(2017, 12, 29)


@pytest.fixture(scope="module")
def warehouse(bundled_bars: pd.DataFrame) -> Iterator[duckdb.DuckDBPyConnection]:
    """S&P 500 and NASDAQ bars through 2018 with HAR and log-HAR walked yearly over 2015-2018 (so the store holds
    forecasts and realised targets after ``AS_OF``, which a live fit at ``AS_OF`` must not see)."""
    bars = bundled_bars[bundled_bars["symbol"].isin({"^GSPC", "^IXIC", *VIX_SYMBOLS})]
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, bars.reset_index(drop=True), (SPEC,))
    panel = load_panel(conn, SPEC, dt.date(2019, 1, 1))
    scheme = TrainingScheme()
    for family in BACKFILLED:
        windows = yearly_windows(dt.date(2015, 1, 1), dt.date(2018, 12, 31))
        for result in walk_forward(panel, SPEC, family, windows, scheme):
            write_window(conn, result, scheme)
    yield conn
    conn.close()


def live_fit(
    conn: duckdb.DuckDBPyConnection,
    families: tuple[str, ...] = ("har", "log_har"),
    combiners: tuple[str, ...] = ("equal",),
) -> LiveFit:
    """The live sets of ``SPEC`` fitted at ``AS_OF`` from the warehouse's rows realised by then."""
    end = AS_OF + dt.timedelta(days=1)
    return fit_live(
        load_panel(conn, SPEC, end),
        load_member_history(conn, SPEC.name, end),
        SPEC,
        LiveSettings(AS_OF, families, combiners),
    )
