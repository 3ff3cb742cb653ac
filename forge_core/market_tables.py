"""Build raw_prices, daily_features and targets for a set of bars in one go (scripts, benchmarks, tests), and the
daily close of the live path: the same three builds over a window, in one transaction.

The Dagster assets do the same partition by partition; this is the whole span at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from forge_core.data.ingestion import Ingestion, ingest_bars
from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features
from forge_core.targets import TargetSpec, build_targets
from forge_core.warehouse.partition_writes import one_transaction


@dataclass(frozen=True)
class MarketClose:
    """What a close wrote: the ingestion's report, the window's feature rows and the targets it realised."""

    ingestion: Ingestion
    features: int
    targets: int


def close_market_window(
    conn: duckdb.DuckDBPyConnection,
    bars: pd.DataFrame,
    window: DateWindow,
    specs: tuple[TargetSpec, ...],
    *,
    splits: pd.DataFrame | None = None,
    allow_shrink: bool = False,
) -> MarketClose:
    """Ingest ``bars`` over ``window``, build its features and the targets it realises, in one transaction: a
    refusal at any step (``IngestionRefused``, ``TargetConflict``, or any error) leaves ``raw_prices``, ``splits``,
    ``daily_features`` and ``targets`` as they were."""
    with one_transaction(conn):
        ingestion = ingest_bars(conn, bars, window, splits=splits, allow_shrink=allow_shrink)
        features = build_daily_features(conn, window)
        realised = build_targets(conn, window, specs)
    return MarketClose(ingestion, features, realised)


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
