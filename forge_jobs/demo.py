"""Run the main job once on the embedded defaults and say what was built: ``python -m forge_jobs.demo``.

Materialises raw_prices -> daily_features -> targets for a range of trading days as ONE run (the same
single-run backfill the UI launches), on the configured source (bundled real data unless FORGE_SOURCE says
otherwise), then prints the tables, their spans and how to open the Dagster UI on the same instance.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os

import pandas as pd

from forge_core.warehouse.connection import open_warehouse
from forge_jobs.definitions import defs
from forge_jobs.instance import dagster_instance
from forge_jobs.jobs import market_data_job

BUNDLED_SPAN = (dt.date(1999, 1, 4), dt.date(2018, 12, 31))


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _default_span() -> tuple[dt.date, dt.date]:
    if os.environ.get("FORGE_SOURCE", "bundled") == "bundled":
        return BUNDLED_SPAN
    today = dt.date.today()
    return today - dt.timedelta(days=3 * 365), today


def run_main_job(start: dt.date, end: dt.date) -> bool:
    """Materialise the market data job over the trading days in [start, end] as one run."""
    first, last = _weekday_on_or_after(start), _weekday_on_or_before(end)
    result = defs.resolve_job_def(market_data_job.name).execute_in_process(
        instance=dagster_instance(),
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
        raise_on_error=False,
    )
    return result.success


def describe_warehouse(path: str) -> pd.DataFrame:
    """Rows, symbols and date span of every warehouse table."""
    with open_warehouse(path, read_only=True) as conn:
        frames = [
            conn.execute(
                f"SELECT '{table}' AS table, count(*) AS rows, count(DISTINCT symbol) AS symbols, "
                f"min(date) AS first_date, max(date) AS last_date FROM {table}"
            ).df()
            for table in ("raw_prices", "daily_features", "targets")
        ]
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    default_start, default_end = _default_span()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--start", type=dt.date.fromisoformat, default=default_start)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=default_end)
    args = parser.parse_args()

    ok = run_main_job(args.start, args.end)
    warehouse = defs.resources["warehouse"].file
    print()
    print(f"market_data_job {'succeeded' if ok else 'FAILED'} for trading days {args.start} .. {args.end}")
    print(f"Warehouse (DuckDB): {warehouse}")
    print(describe_warehouse(str(warehouse)).to_string(index=False))
    print(f"Dagster instance (SQLite): {os.environ['DAGSTER_HOME']}")
    print("Open the Dagster UI on it:  make ui   (then browse http://127.0.0.1:3000)")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
