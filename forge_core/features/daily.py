"""Daily feature table: built in DuckDB by ``sql/features/daily_features.sql``, one date window at a time."""

from __future__ import annotations

import duckdb

from forge_core.data.schema import VIX_SYMBOLS
from forge_core.date_window import DateWindow
from forge_core.settings import gap_weekdays
from forge_core.warehouse.partition_writes import replace_window
from forge_core.warehouse.sql_files import read_sql

# Rows a symbol needs before a window: the longest window (63-row volume z-score) less the current row,
# plus one previous close. With them a window computed alone equals the same rows of a full rebuild.
LOOKBACK_ROWS = 63
# Logs of variance proxies are taken of max(proxy, floor): a day with high == low has a zero range.
VARIANCE_FLOOR = 1e-12
# A 63-row log-volume window whose sample sd is not above this has no variation to score against.
MIN_VOLUME_SD = 1e-8

PROXIES: tuple[str, ...] = ("parkinson", "garman_klass", "rogers_satchell", "yang_zhang", "sq_return")


def feature_params() -> dict[str, object]:
    """The constants the feature SQL binds, beside the window's start and end."""
    return {
        "lookback_rows": LOOKBACK_ROWS,
        "variance_floor": VARIANCE_FLOOR,
        "min_volume_sd": MIN_VOLUME_SD,
        "vix_symbols": sorted(VIX_SYMBOLS),
        "max_gap_weekdays": gap_weekdays(),
    }


def daily_features_query(conn: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, object]]:
    """The feature SELECT and its constants (bind ``start`` and ``end`` too), its macros defined on ``conn``."""
    conn.execute(read_sql("features/macros.sql"))
    return read_sql("features/daily_features.sql"), feature_params()


def build_daily_features(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
    """Recompute ``daily_features`` for every traded symbol's dates in ``window``; returns the rows written."""
    return replace_window(conn, "daily_features", "date", window, [daily_features_query(conn)])
