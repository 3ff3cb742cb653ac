"""Partition definitions: market-data years, walk-forward refit windows and forecast targets.

The span: FORGE_START_DATE .. FORGE_END_DATE (``YYYY-MM-DD``, inclusive; FORGE_END_DATE=today: through today,
growing with it). Unset, each follows the configured source's data (``forge_core.data.span``): bundled 1999-01-04 ..
2018-12-31, a files folder its first and last day, the synthetic market FORGE_SYNTHETIC_START through today; a
source whose data reaches the last few weekdays is a live feed, through today. Partitions span the data because
the UI counts every partition: one past the data's last day (or before its first) could never be filled. A source
whose span cannot be read (a missing folder) gives one warning line and the span 1999-01-01 .. today; its runs
then say what is wrong with it.

- ``market_years``: one partition per calendar year of the span (the first and last cut to the span's days), so
  an evening run of a live feed re-ingests the current year up to today's close. A year, not a day: Dagster
  writes one materialisation event per partition (25-50 ms each on SQLite and Postgres), which made bookkeeping
  97% of a daily-partitioned 1999-2018 backfill whose warehouse work took 0.6 s. Re-building a year is idempotent
  and costs tens of milliseconds, and an ingestion replaces only the days its source covers, so the evening run
  of a daily delivery touches one day's bars.
- ``walk_forward_windows``: one partition per month (a refit window), from FORGE_WALK_FORWARD_START (unset: see
  ``walk_forward_start``) through the month of the span's last day (this month for a live feed). That last window
  may be partial: it forecasts the days there are. Re-materialise it once its month is complete (the demo walks
  its windows again at every run): its inputs digest (``forge_core.forecasting.walk_forward``) covers every panel
  row the window sees, so it changes with the new days and the window is refit, while a window whose rows are
  unchanged is kept; the metadata's ``windows_table`` shows each window's digest and whether it was kept.
- ``target_partitions``: one static partition per configured forecast target (FORGE_TARGETS).
- ``model_partitions``: target x walk-forward window, for the models.
- ``live_days``: one partition per weekday of the live path (daily forecasts, scores, drift reports), from
  FORGE_LIVE_START_DATE (unset: the first day of the month two months before the last day's, so that the demo's
  30 live sessions are live days; or of this year for a live feed: set it in production) through the span's last
  day, or through today for a live feed (today's partition exists before its close, for the evening schedule). A
  weekday that is no session of the source's trading calendar (a holiday) is skipped: its runs succeed and write
  nothing (``forge_assets.sessions``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

import numpy as np
import pandas as pd
from dagster import (
    AssetExecutionContext,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindowPartitionsDefinition,
)

from forge_core import settings
from forge_core.data.span import DataSpan, source_span
from forge_core.date_window import DateWindow
from forge_core.targets import configured_targets

FALLBACK_SPAN = DataSpan(dt.date(1999, 1, 1), None)  # a source whose span cannot be read
# The first walk-forward window when FORGE_WALK_FORWARD_START is unset: see walk_forward_start.
WARMUP_MONTHS = 36  # of data before it, when the data is long enough
LIVE_HISTORY_MONTHS = 18  # windows of out-of-sample history the live models are chosen and calibrated on
MIN_TRAIN_MONTHS = 14  # the models' 250 training rows, purged of the longest target's 22 days

log = logging.getLogger(__name__)


def data_span() -> DataSpan:
    """The configured source's span (FORGE_SOURCE, FORGE_FILES_PATH, FORGE_SYNTHETIC_START), read once per process
    and source; FALLBACK_SPAN, with one warning line, when it cannot be read."""
    return _source_span(
        settings.SOURCE.value(), settings.FILES_PATH.text(), settings.SYNTHETIC_START.value().isoformat()
    )


@functools.cache
def _source_span(kind: str, files_path: str, synthetic_start: str) -> DataSpan:
    try:
        return source_span(
            kind, files_path=files_path, synthetic_start=dt.date.fromisoformat(synthetic_start)
        )
    except ValueError as error:  # MarketDataError included
        reason = " ".join(str(error).split())  # one line
        log.warning(
            f"the span of market data source {kind!r} cannot be read ({reason}): partitions run "
            f"{FALLBACK_SPAN.first} .. today; set FORGE_START_DATE and FORGE_END_DATE, or fix the source"
        )
        return FALLBACK_SPAN


def configured_end() -> dt.date | None:
    """FORGE_END_DATE (the last trading day, inclusive; ``today``: None, through today), else the data's last day
    (None for a live feed)."""
    end = settings.END_DATE.value()
    if end == "today":
        return None
    return end if end is not None else data_span().last


def configured_start() -> dt.date:
    """FORGE_START_DATE (the first day of market data), else the data's first day."""
    return settings.START_DATE.value() or data_span().first


def market_years_partitions(start: dt.date, end: dt.date | None) -> TimeWindowPartitionsDefinition:
    """Calendar years from ``start``'s through ``end``'s (inclusive), or through this year when None."""
    yearly: dict[str, Any] = {"cron_schedule": "0 0 1 1 *", "start": str(start.year), "fmt": "%Y"}
    if end is None:
        return TimeWindowPartitionsDefinition(**yearly, end_offset=1)
    return TimeWindowPartitionsDefinition(**yearly, end=str(end.year + 1))  # Dagster's end is exclusive


def walk_forward_partitions(start: dt.date, end: dt.date | None) -> MonthlyPartitionsDefinition:
    """Months from ``start``'s through ``end``'s (the last may be partial), or through this month when None."""
    if end is None:
        return MonthlyPartitionsDefinition(start_date=start.isoformat(), end_offset=1)
    after = (pd.Timestamp(end).to_period("M") + 1).start_time  # Dagster's end is exclusive
    return MonthlyPartitionsDefinition(start_date=start.isoformat(), end_date=after.date().isoformat())


def walk_forward_start(first: dt.date, end: dt.date | None) -> dt.date:
    """The first walk-forward window when FORGE_WALK_FORWARD_START is unset, for data from ``first`` through
    ``end`` (today when None). With ``month(d)`` the first day of ``d``'s month and ``last = month(end)`` the last
    window:

        min(last, max(month(first + MIN_TRAIN_MONTHS), min(month(first + WARMUP_MONTHS), last - 17 months)))

    Three years of data before the first window (1999-01-04: 2002-01), or less when that would leave fewer than
    ``LIVE_HISTORY_MONTHS`` (18) windows, but never less than the training rows of one fit (14 months), and
    never after the last window: a short history still gets its last month as one window."""
    month = pd.Timestamp(first).to_period("M")
    last = pd.Timestamp(end or dt.date.today()).to_period("M")
    start = max(month + MIN_TRAIN_MONTHS, min(month + WARMUP_MONTHS, last - LIVE_HISTORY_MONTHS + 1))
    first_window: dt.date = min(start, last).to_timestamp().date()
    return first_window


def configured_walk_forward_start(first: dt.date, end: dt.date | None) -> dt.date:
    """FORGE_WALK_FORWARD_START, else ``walk_forward_start(first, end)``."""
    return settings.WALK_FORWARD_START.value() or walk_forward_start(first, end)


LIVE_MONTHS = 3  # live days by default: the last day's month and the two before it (at least 40 sessions)


def configured_live_start(end: dt.date | None) -> dt.date:
    """FORGE_LIVE_START_DATE, else the first day of the month ``LIVE_MONTHS - 1`` months before ``end``'s, else
    the first day of this year (a live feed)."""
    start = settings.LIVE_START_DATE.value()
    if start is not None:
        return start
    if end is None:
        return dt.date.today().replace(month=1, day=1)
    first: dt.date = (pd.Timestamp(end).to_period("M") - (LIVE_MONTHS - 1)).to_timestamp().date()
    return first


def live_days_partitions(start: dt.date, end: dt.date | None) -> TimeWindowPartitionsDefinition:
    """Weekdays from ``start`` through ``end`` (inclusive), or through today when None. A weekday's window runs to
    the next weekday (a Friday's to Monday), and Dagster keeps the windows that end by ``end``: so the bound given
    is the weekday after the last weekday up to ``end``."""
    weekdays: dict[str, Any] = {"cron_schedule": "0 0 * * 1-5", "start": start.isoformat(), "fmt": "%Y-%m-%d"}
    if end is None:
        return TimeWindowPartitionsDefinition(**weekdays, end_offset=1)
    after = np.busday_offset(np.datetime64(end, "D"), 1, roll="backward")
    return TimeWindowPartitionsDefinition(**weekdays, end=str(after))


market_years = market_years_partitions(configured_start(), configured_end())

walk_forward_windows = walk_forward_partitions(
    configured_walk_forward_start(configured_start(), configured_end()), configured_end()
)

target_partitions = StaticPartitionsDefinition([spec.name for spec in configured_targets()])

model_partitions = MultiPartitionsDefinition({"target": target_partitions, "window": walk_forward_windows})

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


def model_partition_key(target: str, window: DateWindow) -> MultiPartitionKey:
    """The ``model_partitions`` key of ``target``'s walk-forward window ``window``."""
    return MultiPartitionKey({"target": target, "window": window.start.strftime(walk_forward_windows.fmt)})
