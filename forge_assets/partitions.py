"""Partition definitions: market-data years, walk-forward refit windows and forecast targets.

- ``market_years``: one partition per calendar year of market data, spanning FORGE_START_DATE (default
  1999-01-01) through FORGE_END_DATE (the last trading day, inclusive), or through today's year when
  FORGE_END_DATE is unset, so an evening run re-ingests the current year up to today's close. A year, not a day:
  Dagster writes one materialisation event per partition (25-50 ms each on SQLite and Postgres), which made
  bookkeeping 97% of a daily-partitioned 1999-2018 backfill whose warehouse work took 0.6 s. Re-building a year
  is idempotent and costs tens of milliseconds, and an ingestion replaces only the days its source covers, so
  the evening run of a daily delivery touches one day's bars.
- ``walk_forward_windows``: one partition per complete month (a refit window), from FORGE_WALK_FORWARD_START,
  through the last month that FORGE_END_DATE completes (or the last complete month before today).
- ``target_partitions``: one static partition per configured forecast target (FORGE_TARGETS).
- ``model_partitions``: target x walk-forward window, for the models.
- ``live_days``: one partition per weekday of the live path (daily forecasts, scores, drift reports), from
  FORGE_LIVE_START_DATE (default: the first day of FORGE_END_DATE's month, or of this year when it is unset: set it
  in production) through FORGE_END_DATE, or through today when unset (today's partition exists before its close,
  for the evening schedule). A weekday without trading (a holiday) has no bars: its runs skip it.

Partitions should span the data: the UI counts every partition, so partitions past the data's last day (or
before its first) can never be filled and a fully built warehouse would not show 100%. With a source that ends
(the bundled data ends 2018-12-31) set FORGE_START_DATE / FORGE_END_DATE to its first and last day.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
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


def configured_start() -> dt.date:
    """FORGE_START_DATE (``YYYY-MM-DD``, the first day of market data), default 1999-01-01."""
    value = os.environ.get("FORGE_START_DATE", "").strip() or DEFAULT_START
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"FORGE_START_DATE must be a date as YYYY-MM-DD, got {value!r}") from None


def market_years_partitions(start: dt.date, end: dt.date | None) -> TimeWindowPartitionsDefinition:
    """Calendar years from ``start``'s through ``end``'s (inclusive), or through this year when None."""
    yearly = {"cron_schedule": "0 0 1 1 *", "start": str(start.year), "fmt": "%Y"}
    if end is None:
        return TimeWindowPartitionsDefinition(**yearly, end_offset=1)
    return TimeWindowPartitionsDefinition(**yearly, end=str(end.year + 1))  # Dagster's end is exclusive


def walk_forward_partitions(start: str, end: dt.date | None) -> MonthlyPartitionsDefinition:
    """Complete months from ``start``: through the last month that ``end`` completes, or before today."""
    if end is None:
        return MonthlyPartitionsDefinition(start_date=start)
    after = end + dt.timedelta(days=1)  # a month is complete when ``end`` is its last day
    return MonthlyPartitionsDefinition(start_date=start, end_date=after.replace(day=1).isoformat())


market_years = market_years_partitions(configured_start(), configured_end())

# Only complete months: a window materialised mid-month would be stored half-empty and look done.
walk_forward_windows = walk_forward_partitions(
    os.environ.get("FORGE_WALK_FORWARD_START", DEFAULT_WALK_FORWARD_START), configured_end()
)

target_partitions = StaticPartitionsDefinition([spec.name for spec in configured_targets()])

model_partitions = MultiPartitionsDefinition({"target": target_partitions, "window": walk_forward_windows})


def configured_live_start(end: dt.date | None) -> dt.date:
    """FORGE_LIVE_START_DATE (``YYYY-MM-DD``), else the first day of ``end``'s month, else of this year."""
    value = os.environ.get("FORGE_LIVE_START_DATE", "").strip()
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"FORGE_LIVE_START_DATE must be a date as YYYY-MM-DD, got {value!r}") from None
    return end.replace(day=1) if end is not None else dt.date.today().replace(month=1, day=1)


def live_days_partitions(start: dt.date, end: dt.date | None) -> TimeWindowPartitionsDefinition:
    """Weekdays from ``start`` through ``end`` (inclusive), or through today when None. A weekday's window runs to
    the next weekday (a Friday's to Monday), and Dagster keeps the windows that end by ``end``: so the bound given
    is the weekday after the last weekday up to ``end``."""
    weekdays = {"cron_schedule": "0 0 * * 1-5", "start": start.isoformat(), "fmt": "%Y-%m-%d"}
    if end is None:
        return TimeWindowPartitionsDefinition(**weekdays, end_offset=1)
    after = np.busday_offset(np.datetime64(end, "D"), 1, roll="backward")
    return TimeWindowPartitionsDefinition(**weekdays, end=str(after))


live_days = live_days_partitions(configured_live_start(configured_end()), configured_end())


def partition_days(context: AssetExecutionContext) -> list[dt.date]:
    """The weekdays of the run's live-day partitions, in order."""
    return [dt.date.fromisoformat(key) for key in context.partition_keys]


def partition_dates(context: AssetExecutionContext) -> DateWindow:
    """The run's dates as [start, end): one year, or a range of years when a backfill runs as one run, cut to
    FORGE_START_DATE .. FORGE_END_DATE so a run never asks the source for days outside the configured span."""
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    last = configured_end()
    return DateWindow(
        max(start, configured_start()), end if last is None else min(end, last + dt.timedelta(days=1))
    )
