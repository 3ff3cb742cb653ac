"""Build raw_prices, daily_features and targets for a set of bars in one go (scripts, benchmarks, tests).

The Dagster assets do the same partition by partition; this is the whole span at once.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features
from forge_core.targets import TargetSpec, build_targets
from forge_core.warehouse.partition_writes import replace_window_from_frame


def build_market_tables(
    conn: duckdb.DuckDBPyConnection, bars: pd.DataFrame, specs: tuple[TargetSpec, ...]
) -> DateWindow:
    """Replace the three market tables over the span of ``bars`` (canonical, validated); returns the span."""
    span = DateWindow(bars["date"].min().date(), bars["date"].max().date() + dt.timedelta(days=1))
    replace_window_from_frame(conn, "raw_prices", "date", span, bars)
    build_daily_features(conn, span)
    build_targets(conn, span, specs)
    return span
