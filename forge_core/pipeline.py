"""Build raw_prices, daily_features and targets for a set of bars in one go (scripts, benchmarks, tests).

The Dagster assets do the same partition by partition; this is the whole span at once.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from forge_core.data.ingestion import ingest_bars
from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features
from forge_core.targets import TargetSpec, build_targets


def build_market_tables(
    conn: duckdb.DuckDBPyConnection,
    bars: pd.DataFrame,
    specs: tuple[TargetSpec, ...],
    splits: pd.DataFrame | None = None,
) -> DateWindow:
    """Ingest ``bars`` (canonical, validated: each symbol's bars replace its stored ones over the dates they cover)
    and their ``splits`` (symbol, date, ratio), and rebuild features and targets over their span; returns the
    span."""
    span = DateWindow(bars["date"].min().date(), bars["date"].max().date() + dt.timedelta(days=1))
    ingest_bars(conn, bars, span, splits=splits, allow_shrink=True)
    build_daily_features(conn, span)
    build_targets(conn, span, specs)
    return span
