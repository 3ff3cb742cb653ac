"""Partition definitions: trading days, walk-forward refit windows and forecast targets.

- ``trading_days``: one partition per weekday (exchange holidays are partitions with no bars), from
  FORGE_START_DATE (default 1999-01-01) through FORGE_END_DATE (the last trading day, inclusive), or through
  today when FORGE_END_DATE is unset, so an evening run can ingest today's close.
- ``walk_forward_windows``: one partition per complete month (a refit window), from FORGE_WALK_FORWARD_START,
  through the last month that FORGE_END_DATE completes (or the last complete month before today).
- ``target_partitions``: one static partition per configured forecast target (FORGE_TARGETS).
- ``model_partitions``: target x walk-forward window, for the models.

Partitions should span the data: the UI counts every partition, so partitions past the data's last day (or
before its first) can never be filled and a fully built warehouse would not show 100%. With a source that ends
(the bundled data ends 2018-12-31) set FORGE_START_DATE / FORGE_END_DATE to its first and last day.
"""

from __future__ import annotations

import datetime as dt
import os

from dagster import (
    AssetExecutionContext,
    MonthlyPartitionsDefinition,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindowPartitionsDefinition,
)

from forge_core.date_window import DateWindow
from forge_core.targets import configured_targets

DEFAULT_START = "1999-01-01"
DEFAULT_WALK_FORWARD_START = "2002-01-01"


def configured_end() -> dt.date | None:
    """FORGE_END_DATE (``YYYY-MM-DD``, the last trading day, inclusive), or None when unset (through today)."""
    value = os.environ.get("FORGE_END_DATE", "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"FORGE_END_DATE must be a date as YYYY-MM-DD, got {value!r}") from None


def trading_days_partitions(start: str, end: dt.date | None) -> TimeWindowPartitionsDefinition:
    """Weekdays from ``start`` through ``end`` inclusive, or through today (``end_offset=1``) when None."""
    if end is None:
        return TimeWindowPartitionsDefinition(
            cron_schedule="0 0 * * 1-5", start=start, fmt="%Y-%m-%d", end_offset=1
        )
    return TimeWindowPartitionsDefinition(
        cron_schedule="0 0 * * 1-5",
        start=start,
        end=(end + dt.timedelta(days=1)).isoformat(),  # Dagster's end is exclusive
        fmt="%Y-%m-%d",
    )


def walk_forward_partitions(start: str, end: dt.date | None) -> MonthlyPartitionsDefinition:
    """Complete months from ``start``: through the last month that ``end`` completes, or before today."""
    if end is None:
        return MonthlyPartitionsDefinition(start_date=start)
    after = end + dt.timedelta(days=1)  # a month is complete when ``end`` is its last day
    return MonthlyPartitionsDefinition(start_date=start, end_date=after.replace(day=1).isoformat())


trading_days = trading_days_partitions(os.environ.get("FORGE_START_DATE", DEFAULT_START), configured_end())

# Only complete months: a window materialised mid-month would be stored half-empty and look done.
walk_forward_windows = walk_forward_partitions(
    os.environ.get("FORGE_WALK_FORWARD_START", DEFAULT_WALK_FORWARD_START), configured_end()
)

target_partitions = StaticPartitionsDefinition([spec.name for spec in configured_targets()])

model_partitions = MultiPartitionsDefinition({"target": target_partitions, "window": walk_forward_windows})


def partition_dates(context: AssetExecutionContext) -> DateWindow:
    """The run's dates as [start, end): one partition, or a whole range when a backfill runs as one run."""
    window = context.partition_time_window
    return DateWindow(window.start.date(), window.end.date())
