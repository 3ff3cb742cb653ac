"""Run the whole loop once on the embedded defaults and say what was built: ``python -m forge_jobs.demo``.

Materialises raw_prices -> daily_features -> targets for the years of ``--start`` .. ``--end`` as ONE run (the
same single-run backfill the UI launches), on the configured source (bundled real data unless FORGE_SOURCE says
otherwise). Then the live loop: the cheap baselines (``--nets`` adds the torch families) walked over the monthly
windows of the last ``--live-months`` months (the out-of-sample history a champion is chosen and calibrated on),
``retrain_job`` for every target on the rows realised by the last day, and ``daily_job`` for that day (its close,
the forecasts of every live set with intervals, their scores, the promotion decision, the drift report). It prints
the tables, the champion forecasts with their intervals and where to look in the Dagster UI.
With ``--backtest`` it then backfills every baseline model over the monthly walk-forward windows of
``--backtest-start`` .. ``--backtest-end`` for every target (one run), then every ensemble and the conformal
intervals over the same windows (one run), and materialises the backtest report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import warnings

import pandas as pd
from dagster import BetaWarning

# BackfillPolicy.single_run and MultiToSingleDimensionPartitionMapping are how DESIGN.md builds the graph; Dagster
# still labels them beta, and the demo's output is for people.
warnings.filterwarnings("ignore", category=BetaWarning)

from forge_core.backtest.plots import annualised_vol  # noqa: E402
from forge_core.live.daily_publication import last_feature_day  # noqa: E402
from forge_core.settings import reports_dir  # noqa: E402
from forge_core.targets import configured_targets  # noqa: E402
from forge_core.warehouse.reader_snapshots import open_reader, snapshot_path  # noqa: E402
from forge_jobs.definitions import defs  # noqa: E402
from forge_jobs.instance import dagster_instance  # noqa: E402
from forge_jobs.jobs import (  # noqa: E402
    backtest_report_job,
    baselines_job,
    daily_job,
    deep_models_job,
    ensembles_job,
    market_data_job,
    retrain_job,
)
from forge_jobs.launch import run_job  # noqa: E402

QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

BUNDLED_SPAN = (dt.date(1999, 1, 4), dt.date(2018, 12, 31))


def _default_span() -> tuple[dt.date, dt.date]:
    if os.environ.get("FORGE_SOURCE", "bundled") == "bundled":
        return BUNDLED_SPAN
    today = dt.date.today()
    return today - dt.timedelta(days=3 * 365), today


def _run_range(job_name: str, first: str, last: str) -> bool:
    """One run of ``job_name`` over the partition range first..last, as a UI backfill with one run does it."""
    result = run_job(
        defs.resolve_job_def(job_name),
        dagster_instance(),
        run_config=QUIET,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )
    return result.success


def run_main_job(start: dt.date, end: dt.date) -> bool:
    """Materialise the market data job over the years of ``start`` .. ``end`` (its partitions) as one run."""
    return _run_range(market_data_job.name, str(start.year), str(end.year))


def run_backtest(start: dt.date, end: dt.date) -> bool:
    """Backfill the baselines over the monthly windows of [start, end] for every target, then the ensembles and
    intervals, then the report."""
    names = [spec.name for spec in configured_targets()]  # a static partition range follows declaration order
    window = "{}|{:%Y-%m}-01"
    first, last = window.format(names[0], start), window.format(names[-1], end)
    if not (_run_range(baselines_job.name, first, last) and _run_range(ensembles_job.name, first, last)):
        return False
    report = run_job(
        defs.resolve_job_def(backtest_report_job.name),
        dagster_instance(),
        run_config=QUIET,
        raise_on_error=False,
    )
    return report.success


def run_live_loop(end: dt.date, months: int, nets: bool) -> bool:
    """Walk the baselines (and the nets) over the last ``months`` months before ``end``, retrain every target on
    the rows realised by ``end``, then run the daily job for ``end``."""
    names = [spec.name for spec in configured_targets()]
    start = (pd.Timestamp(end).to_period("M") - months + 1).to_timestamp().date()
    window = "{}|{:%Y-%m}-01"
    first, last = window.format(names[0], start), window.format(names[-1], end)
    jobs = [baselines_job.name, *([deep_models_job.name] if nets else [])]
    if not all(_run_range(job, first, last) for job in jobs):
        return False
    instance = dagster_instance()
    for target in names:
        run = run_job(
            defs.resolve_job_def(retrain_job.name),
            instance,
            run_config=QUIET,
            tags={"dagster/partition": target},
            raise_on_error=False,
        )
        if not run.success:
            return False
    return _run_range(daily_job.name, str(end), str(end))


def champion_forecasts(path: str, day: dt.date) -> pd.DataFrame:
    """The champions' forecasts published for ``day``, as annualised volatility with their 90% interval."""
    with open_reader(path) as conn:
        rows = conn.execute(
            "SELECT target, symbol, model, model_version, forecast, lower_90, upper_90 FROM daily_forecasts "
            "WHERE as_of = ? AND role = 'champion' ORDER BY target, symbol",
            [day],
        ).df()
    for column in ("forecast", "lower_90", "upper_90"):
        rows[column] = annualised_vol(rows[column]).round(1)
    return rows.rename(columns={"forecast": "vol_%", "lower_90": "low_90_%", "upper_90": "high_90_%"})


def describe_warehouse(path: str) -> pd.DataFrame:
    """Rows, symbols and date span of every warehouse table (none before the first write)."""
    if not snapshot_path(path).exists():
        return pd.DataFrame({"table": ["(no warehouse yet: nothing was written)"]})
    with open_reader(path) as conn:
        frames = [
            conn.execute(
                f"SELECT '{table}' AS table, count(*) AS rows, count(DISTINCT symbol) AS symbols, "
                f"min(date) AS first_date, max(date) AS last_date FROM {table}"
            ).df()
            for table in ("raw_prices", "daily_features", "targets", "forecasts")
        ]
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    default_start, default_end = _default_span()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    years = "market data is partitioned by year: the years of --start .. --end are built"
    parser.add_argument("--start", type=dt.date.fromisoformat, default=default_start, help=years)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=default_end, help=years)
    parser.add_argument(
        "--backtest",
        action="store_true",
        help="also backfill the baselines, ensembles, intervals and the report",
    )
    parser.add_argument("--backtest-start", type=dt.date.fromisoformat, default=dt.date(2010, 1, 1))
    parser.add_argument("--backtest-end", type=dt.date.fromisoformat, default=dt.date(2018, 12, 31))
    parser.add_argument(
        "--live-months", type=int, default=18, help="months of walk-forward history behind the live models"
    )
    parser.add_argument("--nets", action="store_true", help="walk and retrain the torch families too")
    parser.add_argument("--no-live", action="store_true", help="stop after the market data")
    args = parser.parse_args()

    try:
        ok = run_main_job(args.start, args.end)
    except ValueError as error:  # refused before any work: a bad range
        raise SystemExit(f"refused, nothing was run: {error}") from None
    warehouse = defs.resources["warehouse"].file
    print()
    print(
        f"market_data_job {'succeeded' if ok else 'FAILED'} for the years {args.start.year} .. {args.end.year}"
    )
    print(f"Warehouse (DuckDB): {warehouse}")
    print(describe_warehouse(str(warehouse)).to_string(index=False))
    print(f"Dagster instance (SQLite): {os.environ['DAGSTER_HOME']}")
    if ok and not args.no_live:
        with open_reader(warehouse) as conn:
            day = last_feature_day(conn)
        ok = run_live_loop(day, args.live_months, args.nets)
        print(f"\nlive loop (backtest of the last {args.live_months} months, retraining, daily job for {day}): "
              f"{'succeeded' if ok else 'FAILED'}")  # fmt: skip
        if ok:
            print(f"Champion forecasts made at the close of {day} (annualised volatility, 90% interval):")
            print(champion_forecasts(str(warehouse), day).to_string(index=False))
            print(
                "In the UI: group 'live' (live_models and model_importance's SHAP figures; live_regimes, "
                "daily_forecasts, forecast_drivers, forecast_paths' fan chart, forecast_scores, promotions, "
                "drift_report: metadata, checks and the drift report's HTML), Automation (daily_forecast_schedule, "
                "retrain_on_drift), Jobs (rollback_job)."
            )
    if ok and args.backtest:
        ok = run_backtest(args.backtest_start, args.backtest_end)
        print(
            f"\nbaseline backtest {'succeeded' if ok else 'FAILED'}: {args.backtest_start} .. {args.backtest_end}"
        )
        summary = reports_dir() / "backtest" / "summary.md"
        if summary.exists():
            print(summary.read_text())
            print(f"Report tables and figures: {summary.parent}")
    print("Open the Dagster UI on it:  make ui   (then browse http://127.0.0.1:3000)")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
