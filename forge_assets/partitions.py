"""Partition definitions: trading days, walk-forward refit windows and forecast targets.

- ``trading_days``: one partition per weekday (exchange holidays are partitions with no bars), from
  FORGE_START_DATE (default 1999-01-01) through today, so an evening run can ingest today's close.
- ``walk_forward_windows``: one partition per complete month (a refit window), from FORGE_WALK_FORWARD_START.
- ``target_partitions``: one static partition per configured forecast target (FORGE_TARGETS).
- ``model_partitions``: target x walk-forward window, for the models.
"""

from __future__ import annotations

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

trading_days = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 * * 1-5",
    start=os.environ.get("FORGE_START_DATE", "1999-01-01"),
    fmt="%Y-%m-%d",
    end_offset=1,
)

# Only complete months: a window materialised mid-month would be stored half-empty and look done.
walk_forward_windows = MonthlyPartitionsDefinition(
    start_date=os.environ.get("FORGE_WALK_FORWARD_START", "2002-01-01")
)

target_partitions = StaticPartitionsDefinition([spec.name for spec in configured_targets()])

model_partitions = MultiPartitionsDefinition({"target": target_partitions, "window": walk_forward_windows})


def partition_dates(context: AssetExecutionContext) -> DateWindow:
    """The run's dates as [start, end): one partition, or a whole range when a backfill runs as one run."""
    window = context.partition_time_window
    return DateWindow(window.start.date(), window.end.date())
