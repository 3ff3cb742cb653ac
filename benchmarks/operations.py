"""A simulation of operation: the live loop run day by day, by its own schedule and sensor, through a regime shift.

    python benchmarks/operations.py [--symbols 5] [--seed 7] [--days 120] [--shift-day 60] [--ratio 2.0]
                                    [--promotion-days 20] [--cooldown N] [--json PATH] [--png PATH]

In a temporary FORGE_HOME, on the synthetic market (from 2014) whose volatility is multiplied by ``--ratio`` from
the ``--shift-day``-th simulated trading day on (the source's FORGE_SYNTHETIC_SHIFT), it

1. builds the market data for 2014-2018 (one run), walks the baseline families over the monthly windows of
   2017-07 .. 2018-12 for every target (the out-of-sample history a champion is chosen and calibrated on) and runs
   ``retrain_job`` for every target: the first champions;
2. then, for each of ``--days`` weekdays from 2019-01-01, evaluates ``daily_forecast_schedule`` at 17:30 New York,
   runs the ``daily_job`` partition it requests (close, forecasts, scores, promotions, drift report) and evaluates
   ``retrain_on_drift_or_degradation`` on what that run materialised, running every ``retrain_job`` it requests
   (with its run key and tags, on the same instance, as the daemon would);
3. reads back what happened: forecasts published per day, the drift alarm's days (its detection delay after the
   shift and its false alarms before it), the retrainings and what triggered them, every promotion decision, and
   the champion's QLIKE (mean per phase, and as a 20-day rolling mean) before the shift, after it, and after the
   retraining.

Promotion compares ``--promotion-days`` shadow days (default 20: the production default, 60, does not fit in the
60 days after a shift at day 60; the rule is the production one otherwise), and the sensor's cooldown
(FORGE_RETRAIN_COOLDOWN_DAYS, plus each target's horizon) is as many weekdays unless ``--cooldown`` says otherwise.
Prints the timeline and the phase table, writes JSON with ``--json`` and a timeline PNG (drift share, champion
rolling QLIKE per target, events) with ``--png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from tqdm import tqdm

SYNTHETIC_START = dt.date(2014, 1, 2)
LIVE_START = dt.date(2019, 1, 1)
WALK_FROM, WALK_TO = "2017-07-01", "2018-12-01"
EVENING = dt.time(17, 30, tzinfo=ZoneInfo("America/New_York"))
ROLLING = 20
LOOP_FILE = "operations_loop.json"
SHOWN_DECISION = (
    "decided_on", "target", "action", "champion_model", "challenger_model", "days", "champion_qlike",
    "challenger_qlike", "dm_p_value", "challenger_mcs_p_value",
)  # fmt: skip


def simulated_days(days: int) -> list[dt.date]:
    """The first ``days`` weekdays from LIVE_START."""
    return [d.date() for d in pd.bdate_range(LIVE_START, periods=days)]


def configure(home: str, args: argparse.Namespace, shift_on: dt.date, last: dt.date) -> None:
    """The environment the definitions read when imported: a private FORGE_HOME and a shifted synthetic market."""
    os.environ.update(
        FORGE_HOME=home,
        DAGSTER_HOME=str(Path(home) / "dagster"),
        FORGE_SOURCE="synthetic",
        FORGE_SYNTHETIC_SYMBOLS=str(args.symbols),
        FORGE_SYNTHETIC_SEED=str(args.seed),
        FORGE_SYNTHETIC_START=SYNTHETIC_START.isoformat(),
        FORGE_SYNTHETIC_SHIFT=f"{shift_on.isoformat()}*{args.ratio}",
        FORGE_START_DATE=SYNTHETIC_START.isoformat(),
        FORGE_END_DATE=last.isoformat(),
        FORGE_WALK_FORWARD_START="2015-01-01",
        FORGE_LIVE_START_DATE=LIVE_START.isoformat(),
        FORGE_RETRAIN_COOLDOWN_DAYS=str(args.cooldown),
        MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false",
    )
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--shift-day", type=int, default=60, help="1-based simulated day the shift starts")
    parser.add_argument("--ratio", type=float, default=2.0, help="volatility multiplier from the shift on")
    parser.add_argument("--promotion-days", type=int, default=20)
    parser.add_argument(
        "--cooldown",
        type=int,
        help="FORGE_RETRAIN_COOLDOWN_DAYS (the sensor adds each target's horizon); default: --promotion-days",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--png", type=Path)
    parser.add_argument(
        "--report-only", type=Path, metavar="HOME", help="read back and report an earlier run's FORGE_HOME"
    )
    args = parser.parse_args(argv)
    if args.cooldown is None:
        args.cooldown = args.promotion_days
    days = simulated_days(args.days)
    shift_on = days[args.shift_day - 1]
    warnings.filterwarnings("ignore")
    if args.report_only:
        loop = json.loads((args.report_only / LOOP_FILE).read_text())
    else:
        loop = simulate(args, days, shift_on)
    home = Path(loop["home"])
    summary = read_back(home / "warehouse.duckdb", days, shift_on, loop["retrains"], loop["timeline"])
    summary.update(
        symbols=args.symbols,
        days=args.days,
        shift_day=args.shift_day,
        shift_on=shift_on.isoformat(),
        volatility_ratio=args.ratio,
        promotion_days=args.promotion_days,
        cooldown_days=args.cooldown,
        drift_current_days=loop["drift_current_days"],
        setup_s=round(loop["setup_s"], 1),
        loop_s=round(loop["loop_s"], 1),
        seconds_per_day=round(loop["loop_s"] / len(days), 2),
    )
    report(summary)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    if args.png:
        plot(home / "warehouse.duckdb", summary, args.png)
        print(f"wrote {args.png}")
    return 0


def simulate(args: argparse.Namespace, days: list[dt.date], shift_on: dt.date) -> dict[str, Any]:
    """Set up and run the simulated days (module docstring, steps 1-2); what the loop saw, also saved as
    ``LOOP_FILE`` in the run's FORGE_HOME (printed) for ``--report-only``."""
    home = tempfile.mkdtemp(prefix="forge_operations_")
    configure(home, args, shift_on, days[-1])

    from dagster import SensorResult, build_schedule_context, build_sensor_context

    from forge_core.monitoring.drift import DriftSettings
    from forge_jobs.automation import daily_forecast_schedule, retrain_on_drift_or_degradation
    from forge_jobs.definitions import defs
    from forge_jobs.instance import dagster_instance
    from forge_jobs.jobs import baselines_job, daily_job, market_data_job, retrain_job
    from forge_jobs.launch import run_job

    instance = dagster_instance()
    quiet: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    daily_config = {**quiet, "ops": {"promotions": {"config": {"days": args.promotion_days}}}}
    targets = [str(t) for t in defs.resolve_job_def(retrain_job.name).partitions_def.get_partition_keys()]  # type: ignore[union-attr]

    def run(job_name: str, config: dict[str, Any], **tags: str) -> bool:
        job = defs.resolve_job_def(job_name)
        return run_job(job, instance, run_config=config, tags=tags, raise_on_error=False).success

    started = time.perf_counter()
    assert run(market_data_job.name, quiet, **range_tags("2014", "2018")), "market data failed"
    first, last = f"{targets[0]}|{WALK_FROM}", f"{targets[-1]}|{WALK_TO}"
    assert run(baselines_job.name, quiet, **range_tags(first, last)), "walk-forward failed"
    for target in targets:
        assert run(retrain_job.name, quiet, **{"dagster/partition": target}), f"first retraining of {target}"
    setup_s = time.perf_counter() - started
    print(f"set-up (market data, walk-forward {WALK_FROM[:7]} .. {WALK_TO[:7]}, champions): {setup_s:.0f} s")

    market = defs.resources["market_data"]
    cursor: str | None = None
    timeline: list[dict[str, Any]] = []
    retrains: list[dict[str, Any]] = []
    started = time.perf_counter()
    for index, day in enumerate(tqdm(days, desc="simulated days", unit="day"), start=1):
        with build_schedule_context(
            instance=instance,
            scheduled_execution_time=dt.datetime.combine(day, EVENING),
            resources={"market_data": market},
        ) as context:
            requested = daily_forecast_schedule(context)
        ok = isinstance(requested, list) and all(
            run(daily_job.name, daily_config, **{"dagster/partition": str(r.partition_key)})
            for r in requested
        )
        result = retrain_on_drift_or_degradation(build_sensor_context(instance=instance, cursor=cursor))
        requests = result.run_requests if isinstance(result, SensorResult) else []
        cursor = result.cursor if isinstance(result, SensorResult) and result.cursor else cursor
        for retrain in requests or []:
            tags = {
                **retrain.tags,
                "dagster/partition": str(retrain.partition_key),
                "dagster/run_key": retrain.run_key,
            }
            success = run(retrain_job.name, quiet, **tags)
            retrains.append(
                {"day": day.isoformat(), "index": index, "run_key": retrain.run_key, "success": success}
            )
        timeline.append(
            {"day": day.isoformat(), "index": index, "daily_job": ok, "retrains": len(requests or [])}
        )
    loop_s = time.perf_counter() - started
    loop = {
        "home": home,
        "retrains": retrains,
        "timeline": timeline,
        "setup_s": setup_s,
        "loop_s": loop_s,
        "drift_current_days": DriftSettings.current_days,
    }
    (Path(home) / LOOP_FILE).write_text(json.dumps(loop, indent=1))
    print(f"the run's FORGE_HOME: {home}")
    return loop


def range_tags(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def phase_of(
    as_of: pd.Timestamp,
    realised_on: pd.Timestamp,
    shift_on: dt.date,
    first_after: pd.Timestamp,
    promoted: dt.date | None,
) -> str:
    """Where a scored forecast stands: its target realised before the shift, its window straddling the shift, made
    in the first ``ROLLING`` days after it, later, or after its target's first promotion."""
    if realised_on < pd.Timestamp(shift_on):
        return "1 before the shift"
    if as_of < pd.Timestamp(shift_on):
        return "2 straddles the shift"
    if promoted is not None and as_of > pd.Timestamp(promoted):
        return "5 after the promotion"
    return "3 first days after the shift" if as_of < first_after else "4 later after the shift"


def read_back(
    path: Path,
    days: list[dt.date],
    shift_on: dt.date,
    retrains: list[dict[str, Any]],
    timeline: list[dict[str, Any]],
) -> dict[str, Any]:
    """What the loop left in the warehouse, as the figures the issue asks for."""
    from forge_core.warehouse.connection import open_warehouse

    with open_warehouse(path, read_only=True) as conn:
        published = conn.execute(
            "SELECT as_of, count(*) AS rows, count(*) FILTER (WHERE role = 'champion') AS champion_rows "
            "FROM daily_forecasts GROUP BY as_of ORDER BY as_of"
        ).df()
        drift = conn.execute("SELECT day, drift_share, alarm FROM drift_reports ORDER BY day").df()
        promotions = conn.execute("SELECT * FROM promotions ORDER BY decided_on, target").df()
        scores = conn.execute(
            "SELECT target, model, realised_on, as_of, qlike, fitted_qlike, covered_90 FROM forecast_scores "
            "WHERE role = 'champion'"
        ).df()
    shift_index = days.index(shift_on)
    alarms = [pd.Timestamp(d).date() for d in drift.loc[drift["alarm"], "day"]]
    after = [d for d in alarms if d >= shift_on]
    first_alarm = after[0] if after else None
    won = promotions[promotions["action"] == "promoted"] if not promotions.empty else promotions
    promoted = {str(t): pd.Timestamp(d).date() for t, d in won.groupby("target")["decided_on"].min().items()}
    first_after = pd.Timestamp(days[min(shift_index + ROLLING, len(days) - 1)])
    scores["phase"] = [
        phase_of(pd.Timestamp(a), pd.Timestamp(r), shift_on, first_after, promoted.get(t))
        for a, r, t in zip(scores["as_of"], scores["realised_on"], scores["target"], strict=True)
    ]
    phases = (
        scores.groupby(["target", "phase"])
        .agg(days=("as_of", "nunique"), champion=("model", lambda m: ",".join(sorted(set(m)))),
             qlike=("qlike", "mean"), fitted_qlike=("fitted_qlike", "mean"), coverage_90=("covered_90", "mean"))
        .reset_index()
    )  # fmt: skip
    phases["qlike_ratio"] = phases["qlike"] / phases["fitted_qlike"]
    decisions = promotions.assign(decided_on=promotions["decided_on"].astype(str))
    return {
        "days_with_forecasts": int((published["champion_rows"] > 0).sum()),
        "days_without_forecasts": [t["day"] for t in timeline if not t["daily_job"]],
        "forecast_rows_per_day": published["rows"].describe()[["min", "max"]].to_dict(),
        "drift_alarm_days_before_shift": [d.isoformat() for d in alarms if d < shift_on],
        "drift_detected_on": first_alarm.isoformat() if first_alarm else None,
        "drift_delay_trading_days": days.index(first_alarm) - shift_index if first_alarm else None,
        "drift_share_by_day": dict(zip(drift["day"].astype(str), drift["drift_share"].round(3), strict=True)),
        "retrainings": retrains,
        "promotion_decisions": decisions.drop(columns=["created_at"], errors="ignore").to_dict("records"),
        "promotions": len(won),
        "promoted_on": {t: d.isoformat() for t, d in promoted.items()},
        "champion_qlike_by_phase": phases.round(4).to_dict("records"),
    }


def report(summary: dict[str, Any]) -> None:
    print(
        f"\nshift: volatility x{summary['volatility_ratio']} from {summary['shift_on']} (day {summary['shift_day']})"
    )
    print(f"days with champion forecasts: {summary['days_with_forecasts']} of {summary['days']}"
          f" (missing: {summary['days_without_forecasts'] or 'none'})")  # fmt: skip
    print(f"drift alarms before the shift: {summary['drift_alarm_days_before_shift'] or 'none'}")
    print(f"drift detected on {summary['drift_detected_on']}: {summary['drift_delay_trading_days']} trading days "
          "after the shift")  # fmt: skip
    for retrain in summary["retrainings"]:
        print(
            f"retraining {retrain['run_key']} on {retrain['day']}: {'succeeded' if retrain['success'] else 'FAILED'}"
        )
    judged = [
        d
        for d in summary["promotion_decisions"]
        if d["action"] != "kept" or d["days"] >= summary["promotion_days"]
    ]
    print(f"promotion decisions: {len(summary['promotion_decisions'])}, {len(judged)} on a full trial:")
    for decision in judged:
        print({k: decision.get(k) for k in SHOWN_DECISION if k in decision})
    print("\nchampion QLIKE by phase (ratio: to the QLIKE it was fitted with)")
    print(pd.DataFrame(summary["champion_qlike_by_phase"]).to_string(index=False))
    print(
        f"\nset-up {summary['setup_s']} s; loop {summary['loop_s']} s ({summary['seconds_per_day']} s per day)"
    )


def plot(path: Path, summary: dict[str, Any], png: Path) -> None:
    """Timeline: drift share per day (alarm threshold), the champion's rolling QLIKE per target, and the events."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from forge_core.warehouse.connection import open_warehouse

    with open_warehouse(path, read_only=True) as conn:
        scores = conn.execute(
            "SELECT target, as_of, avg(qlike) AS qlike FROM forecast_scores WHERE role = 'champion' "
            "GROUP BY target, as_of ORDER BY as_of"
        ).df()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    drift = pd.Series(summary["drift_share_by_day"])
    drift.index = pd.to_datetime(drift.index)
    top.plot(drift.index, drift.to_numpy(), color="tab:purple", label="drift share (last day)")
    top.axhline(0.5, color="grey", ls=":", label="threshold")
    top.set_ylabel("drifted share of columns")
    for target, rows in scores.groupby("target"):
        rolling = (
            rows.set_index(pd.to_datetime(rows["as_of"]))["qlike"].rolling(ROLLING, min_periods=5).mean()
        )
        bottom.plot(rolling.index, rolling.to_numpy(), label=f"{target} champion QLIKE ({ROLLING}-day mean)")
    bottom.set_ylabel("QLIKE (by forecast day)")
    events = [(summary["shift_on"], "shift", "red"), (summary["drift_detected_on"], "drift alarm", "purple")]
    events += [(r["day"], "retraining", "green") for r in summary["retrainings"]]
    events += [(p["decided_on"], "promotion", "orange") for p in summary["promotion_decisions"]
               if p.get("action") == "promoted"]  # fmt: skip
    labelled: set[str] = set()
    for day, label, colour in events:
        if day:
            first = label not in labelled
            labelled.add(label)
            for axis in (top, bottom):
                shown = label if first and axis is top else None
                axis.axvline(pd.Timestamp(day), color=colour, ls="--", lw=1, label=shown)
    top.legend(loc="upper left", fontsize=8)
    bottom.legend(loc="upper left", fontsize=8)
    shift = f"volatility x{summary['volatility_ratio']} from {summary['shift_on']}"
    top.set_title(f"{summary['days']} simulated days, {shift}")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
