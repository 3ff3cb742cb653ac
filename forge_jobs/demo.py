"""Run the whole loop once on the embedded defaults and say what was built: ``python -m forge_jobs.demo``.

Materialises raw_prices -> daily_features -> targets for the years of ``--start`` .. ``--end`` (default: the
partitions' span, which follows the data unless FORGE_START_DATE / FORGE_END_DATE say otherwise) as ONE run (the
same single-run backfill the UI launches), on the configured source (bundled real data unless FORGE_SOURCE says
otherwise). Then the live loop: the cheap baselines (``--nets`` adds the torch families) walked over the monthly
windows of the last ``--live-months`` months that are walk-forward windows (the out-of-sample history a champion
is chosen and calibrated on; the last one may be a partial month, refit at every run while its rows change),
``retrain_job`` for every target on the rows realised by the last day, and ``daily_job`` for that day (its close,
the forecasts of every live set with intervals, their scores, the promotion decision, the drift report). It prints
the tables, the champion forecasts with their intervals and where to look in the Dagster UI.
With ``--backtest`` it then backfills every baseline model over the monthly walk-forward windows of
``--backtest-start`` .. ``--backtest-end`` (default: the last ``BACKTEST_MONTHS`` windows) for every target (one
run), then every ensemble and the conformal intervals over the same windows (one run), and materialises the
backtest report. A range that no partition holds is refused in one sentence, with a non-zero exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import warnings
from dataclasses import dataclass

import pandas as pd
from dagster import BetaWarning, DagsterEventType, DagsterInstance, RunsFilter

# BackfillPolicy.single_run and MultiToSingleDimensionPartitionMapping are how DESIGN.md builds the graph; Dagster
# still labels them beta, and the demo's output is for people.
warnings.filterwarnings("ignore", category=BetaWarning)

from forge_assets.metadata import SkippedSymbol, nearest, skipped_from  # noqa: E402
from forge_assets.partitions import (  # noqa: E402
    LIVE_HISTORY_MONTHS,
    configured_end,
    configured_start,
    walk_forward_windows,
)
from forge_core.live.published import last_feature_days  # noqa: E402
from forge_core.roles import Role  # noqa: E402
from forge_core.settings import reports_dir  # noqa: E402
from forge_core.targets import configured_targets  # noqa: E402
from forge_core.units import annualised_vol  # noqa: E402
from forge_core.warehouse.quality import daily_forecasts_quality  # noqa: E402
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
from forge_jobs.launch import log, run_job  # noqa: E402

QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

# the default backtest: the last nine years of windows (the bundled data: 2010-01 .. 2018-12)
BACKTEST_MONTHS = 108


def default_span() -> tuple[dt.date, dt.date]:
    """The partitions' span: its first day, and its last (today for a live feed)."""
    return configured_start(), configured_end() or dt.date.today()


def months_before(end: dt.date, months: int) -> dt.date:
    """The first day of the month ``months - 1`` months before ``end``'s: the first of ``months`` months to it."""
    first: dt.date = (pd.Timestamp(end).to_period("M") - months + 1).to_timestamp().date()
    return first


def window_range(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last walk-forward window of the months of ``start`` .. ``end`` (cut to the windows there
    are); ValueError naming the windows when none of those months is one."""
    first_key = walk_forward_windows.get_first_partition_key()
    last_key = walk_forward_windows.get_last_partition_key()
    if first_key is None or last_key is None:
        raise ValueError(
            "there is no walk-forward window: FORGE_WALK_FORWARD_START is after the span's last day"
        )
    first = max(start.replace(day=1), dt.date.fromisoformat(first_key))
    last = min(end.replace(day=1), dt.date.fromisoformat(last_key))
    if last < first:
        raise ValueError(
            f"no walk-forward window in {start} .. {end}: the windows run {first_key} .. {last_key}"
        )
    return first, last


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


def model_range(start: dt.date, end: dt.date) -> tuple[str, str]:
    """The model partition range of every target over the walk-forward windows of ``start`` .. ``end``."""
    names = [spec.name for spec in configured_targets()]  # a static partition range follows declaration order
    first, last = window_range(start, end)
    return f"{names[0]}|{first}", f"{names[-1]}|{last}"


def run_backtest(start: dt.date, end: dt.date) -> bool:
    """Backfill the baselines over the monthly windows of [start, end] for every target, then the ensembles and
    intervals, then the report."""
    first, last = model_range(start, end)
    if not (_run_range(baselines_job.name, first, last) and _run_range(ensembles_job.name, first, last)):
        return False
    report = run_job(
        defs.resolve_job_def(backtest_report_job.name),
        dagster_instance(),
        run_config=QUIET,
        raise_on_error=False,
    )
    return report.success


LIVE_SESSIONS = 30  # the demo's live sessions at the end of the data, each a run of the daily job
RETRAIN_GAP = (
    5  # sessions between the first fit (the champion) and the retraining that registers a challenger
)


@dataclass(frozen=True)
class LiveDays:
    """The days of the demo's live loop: the first fit (its sets become the champions), the retraining (its best
    set becomes the challenger) and the sessions the daily job then runs, one after another."""

    first_fit: dt.date
    retrain: dt.date
    sessions: list[dt.date]

    @classmethod
    def ending_with_data(cls, warehouse: str, sessions: int = LIVE_SESSIONS) -> LiveDays:
        """The last ``sessions`` days with features, and the retraining and first fit before them."""
        if sessions < 1:
            raise ValueError(f"--live-sessions {sessions}: the live loop runs at least one session")
        with open_reader(warehouse) as conn:
            days = last_feature_days(conn, sessions + RETRAIN_GAP + 1)
        if len(days) < RETRAIN_GAP + 2:
            raise ValueError(f"{len(days)} days of features: the live loop needs at least {RETRAIN_GAP + 2}")
        live = days[RETRAIN_GAP + 1 :]
        return cls(days[0], days[RETRAIN_GAP], live)


def _retrain(day: dt.date) -> bool:
    """``retrain_job`` for every target on the rows realised by ``day``."""
    instance = dagster_instance()
    for target in (spec.name for spec in configured_targets()):
        run = run_job(
            defs.resolve_job_def(retrain_job.name),
            instance,
            run_config={**QUIET, "ops": {"live_models": {"config": {"as_of": str(day)}}}},
            tags={"dagster/partition": target},
            raise_on_error=False,
        )
        if not run.success:
            return False
    return True


def run_live_loop(days: LiveDays, months: int, nets: bool) -> bool:
    """Walk the baselines (and the nets) over the windows of the last ``months`` months to the last session (those
    that are walk-forward windows), combine them into the ensembles and calibrate their intervals (so an ensemble
    has walk-forward forecasts of its own, which the drift alarm calibrates on); fit every target's live sets on the
    rows realised by the first fit's day (champions), again by the retraining's day (a challenger); then run the
    daily job for each session in turn, as the evening schedule does: publish, score what realised, decide
    promotions on the scored shadow days, report drift."""
    first, last = model_range(months_before(days.sessions[-1], months), days.sessions[-1])
    jobs = [baselines_job.name, *([deep_models_job.name] if nets else []), ensembles_job.name]
    if not all(_run_range(job, first, last) for job in jobs):
        return False
    if not (_retrain(days.first_fit) and _retrain(days.retrain)):
        return False
    for number, day in enumerate(days.sessions, 1):
        log.info(f"daily_job for {day}: session {number} of {len(days.sessions)}")
        if not _run_range(daily_job.name, str(day), str(day)):
            return False
    return True


BAND_COLUMNS = ("forecast", "raw_forecast", "lower_95", "lower_50", "upper_50", "upper_95")


def champion_forecasts(path: str, day: dt.date) -> pd.DataFrame:
    """The champions' forecasts published for ``day`` as annualised volatility: the published point, the model's
    raw forecast, and the 95% and 50% bands."""
    with open_reader(path) as conn:
        rows = conn.execute(
            f"SELECT target, symbol, model, model_version, {', '.join(BAND_COLUMNS)} FROM daily_forecasts "
            "WHERE as_of = ? AND role = ? ORDER BY target, symbol",
            [day, Role.CHAMPION.value],
        ).df()
    for column in BAND_COLUMNS:
        rows[column] = annualised_vol(rows[column]).round(1)
    return rows.rename(
        columns={"forecast": "vol_%", "raw_forecast": "raw_%", **{c: f"{c}_%" for c in BAND_COLUMNS[2:]}}
    )


def published_coherence_line(path: str, day: dt.date) -> str:
    """One line: how many rows were published for ``day`` (every role) and what the blocking check counted."""
    with open_reader(path) as conn:
        counts = daily_forecasts_quality(conn, day)
        published, skewed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE skewed) FROM daily_forecasts WHERE as_of = ?", [day]
        ).fetchone() or (0, 0)
    bands = {k: counts[k] for k in ("crossing_bounds", "degenerate_bands", "point_outside_50_band")}
    verdict = "coherent" if not any(bands.values()) else "NOT coherent"
    return (
        f"Bands {verdict} on all {published} rows published for {day} (every role): "
        + ", ".join(f"{k} {v}" for k, v in bands.items())
        + f"; flagged skewed {skewed}"
    )


def _check_outcomes(instance: DagsterInstance, since: dt.datetime) -> pd.DataFrame:
    """Every asset check evaluated by the daily job's runs launched since ``since``: per check, how often it passed
    and failed."""
    outcomes: dict[str, list[int]] = {}
    for record in instance.get_run_records(RunsFilter(job_name=daily_job.name, created_after=since)):
        for entry in instance.all_logs(
            record.dagster_run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        ):
            evaluation = entry.dagster_event.asset_check_evaluation_data if entry.dagster_event else None
            if evaluation is not None:
                counts = outcomes.setdefault(evaluation.check_name, [0, 0])
                counts[0 if evaluation.passed else 1] += 1
    return pd.DataFrame(
        [{"check": name, "passed": ok, "failed": bad} for name, (ok, bad) in sorted(outcomes.items())]
    )


def loop_account(path: str, instance: DagsterInstance, days: LiveDays, since: dt.datetime) -> str:
    """What the live loop did, from the warehouse and the runs' check evaluations: per target the sessions its
    champion published, the forecasts scored as they realised and their QLIKE against the QLIKE the champion was
    fitted with; every promotion decision (the DM and MCS tests on the scored shadow days, or why none ran); the
    drift reports and their alarms; how each check came out."""
    first, last = days.sessions[0], days.sessions[-1]
    with open_reader(path) as conn:
        published = conn.execute(
            "SELECT target, count(DISTINCT as_of) AS sessions_published, count(*) AS rows_published "
            "FROM daily_forecasts WHERE as_of BETWEEN ? AND ? GROUP BY target ORDER BY target",
            [first, last],
        ).df()
        scored = conn.execute(
            "SELECT target, count(DISTINCT as_of) AS champion_days_scored, round(avg(qlike), 3) AS champion_qlike, "
            "round(avg(fitted_qlike), 3) AS fitted_qlike FROM forecast_scores "
            "WHERE as_of BETWEEN ? AND ? AND role = ? GROUP BY target ORDER BY target",
            [first, last, Role.CHAMPION.value],
        ).df()
        decisions = conn.execute(
            "SELECT decided_on, target, action, champion_model, challenger_model, days, "
            "round(dm_p_value, 3) AS dm_p, round(challenger_mcs_p_value, 3) AS mcs_p, reason FROM promotions "
            "WHERE decided_on BETWEEN ? AND ? ORDER BY target, decided_on",
            [first, last],
        ).df()
        reports, share = conn.execute(
            "SELECT count(*), avg(drift_share) FROM drift_reports WHERE day BETWEEN ? AND ?", [first, last]
        ).fetchone() or (0, None)
        alarms = [
            str(day)
            for (day,) in conn.execute(
                "SELECT day FROM drift_reports WHERE day BETWEEN ? AND ? AND alarm ORDER BY day",
                [first, last],
            ).fetchall()
        ]
    tested = decisions[decisions["dm_p"].notna()]
    latest_tested = tested.groupby("target").tail(1)
    untested = decisions[decisions["dm_p"].isna()].groupby(["target", "action"]).size()
    lines = [
        f"\nWhat the daily job did over the {len(days.sessions)} sessions {first} .. {last}:",
        published.merge(scored, on="target", how="left").to_string(index=False),
        f"Promotion decisions: {len(decisions)}, of which {len(tested)} ran the DM and MCS tests on the scored "
        "shadow days; the last tested decision per target:",
        latest_tested.to_string(index=False) if len(tested) else "  (none: too few scored shadow days)",
        "Decisions without a test (per target and action): "
        + (", ".join(f"{t} {a} x{n}" for (t, a), n in untested.items()) or "none"),
        f"Drift reports: {reports}, mean share of drifted features {share or 0:.3f}, alarms on "
        + (", ".join(alarms) or "no day"),
        "Checks evaluated by the daily job's runs:",
        _check_outcomes(instance, since).to_string(index=False),
    ]
    return "\n".join(lines)


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


def short_histories(instance: DagsterInstance, since: dt.datetime) -> tuple[str, bool]:
    """What the runs launched since ``since`` skipped for too little history, as their materialisations and
    failures recorded it (the latest record per symbol and target): a table, with False; or, when a run failed
    because no symbol qualified, one sentence saying so, with True. Nothing was skipped: ``("", False)``."""
    kept: dict[tuple[str, str], tuple[str, SkippedSymbol]] = {}
    refused: dict[tuple[str, str], tuple[str, SkippedSymbol]] = {}
    events = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.STEP_FAILURE}
    for record in instance.get_run_records(RunsFilter(created_after=since), ascending=True):
        for entry in instance.all_logs(record.dagster_run.run_id, of_type=events):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                found, metadata = kept, event.step_materialization_data.materialization.metadata
            else:
                failure = event.step_failure_data.user_failure_data
                found, metadata = refused, failure.metadata if failure is not None else {}
            found.update({(s.symbol, s.target): (event.step_key or "", s) for s in skipped_from(metadata)})
    if refused:
        most = nearest([s for _, s in refused.values()])
        return f"No symbol has enough history to forecast: {', '.join(map(str, most))}.", True
    if not kept:
        return "", False
    table = pd.DataFrame(
        [
            {
                "symbol": s.symbol,
                "target": s.target,
                "rows": s.short.rows,
                "needed": s.short.needed,
                "of": s.short.what,
                "where": f"{step}: {s.where}",
            }
            for _, (step, s) in sorted(kept.items())
        ]
    )
    return "Skipped for too little history (the other symbols were forecast):\n" + table.to_string(
        index=False
    ), False


def main() -> None:
    default_start, default_end = default_span()
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
    parser.add_argument(
        "--backtest-start",
        type=dt.date.fromisoformat,
        default=months_before(default_end, BACKTEST_MONTHS),
        help=f"default: the last {BACKTEST_MONTHS} months to the span's last day",
    )
    parser.add_argument("--backtest-end", type=dt.date.fromisoformat, default=default_end)
    parser.add_argument(
        "--live-months",
        type=int,
        default=LIVE_HISTORY_MONTHS,
        help="months of walk-forward history behind the live models",
    )
    parser.add_argument(
        "--live-sessions",
        type=int,
        default=LIVE_SESSIONS,
        help="sessions at the end of the data that the daily job runs, one run each",
    )
    parser.add_argument("--nets", action="store_true", help="walk and retrain the torch families too")
    parser.add_argument("--no-live", action="store_true", help="stop after the market data")
    args = parser.parse_args()

    try:
        ok = run_main_job(args.start, args.end)
    except ValueError as error:  # refused before any work: a bad range
        raise SystemExit(f"refused, nothing was run: {error}") from None
    warehouse = (defs.resources or {})["warehouse"].file
    print()
    print(
        f"market_data_job {'succeeded' if ok else 'FAILED'} for the years {args.start.year} .. {args.end.year}"
    )
    print(f"Warehouse (DuckDB): {warehouse}")
    print(describe_warehouse(str(warehouse)).to_string(index=False))
    print(f"Dagster instance (SQLite): {os.environ['DAGSTER_HOME']}")
    if ok and not args.no_live:
        started = dt.datetime.now(dt.UTC)
        try:
            days = LiveDays.ending_with_data(str(warehouse), args.live_sessions)
            ok = run_live_loop(days, args.live_months, args.nets)
        except ValueError as error:  # refused before its runs: no window or live day for the data
            raise SystemExit(f"live loop refused: {error}") from None
        sessions = f"{days.sessions[0]} .. {days.sessions[-1]} ({len(days.sessions)})"
        print(f"\nlive loop (backtest of the last {args.live_months} months; champions fitted as of "
              f"{days.first_fit}, a challenger as of {days.retrain}; the daily job for each session of "
              f"{sessions}): {'succeeded' if ok else 'FAILED'}")  # fmt: skip
        skipped, nothing_qualified = short_histories(dagster_instance(), started)
        if nothing_qualified:
            raise SystemExit(skipped)
        if skipped:
            print(skipped)
        if ok:
            day = days.sessions[-1]
            print(loop_account(str(warehouse), dagster_instance(), days, started))
            print(
                f"Champion forecasts made at the close of {day} (annualised volatility, 95% and 50% bands):"
            )
            print(champion_forecasts(str(warehouse), day).to_string(index=False))
            print(published_coherence_line(str(warehouse), day))
            print(
                "In the UI: group 'live' (live_models and feature_importance's SHAP figures; live_regimes, "
                "daily_forecasts, forecast_drivers, forecast_paths' fan chart, forecast_scores, promotions, "
                "drift_report: metadata, checks and the drift report's HTML), Automation (daily_forecast_schedule, "
                "retrain_on_drift_or_degradation), Jobs (rollback_job)."
            )
    if ok and args.backtest:
        try:
            ok = run_backtest(args.backtest_start, args.backtest_end)
        except ValueError as error:  # refused before its runs: no window in the range
            raise SystemExit(f"backtest refused: {error}") from None
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
