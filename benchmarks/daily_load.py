"""Load test of the daily job: how far one machine goes as the symbols grow.

    python benchmarks/daily_load.py [--symbols 50,200,500] [--families har,log_har] [--json PATH] [--keep DIR]

Per symbol count, a fresh FORGE_HOME on the embedded instance (SQLite Dagster and MLflow, the DuckDB file) and the
synthetic market from 2016 (three targets, rv_1d / rv_5d / rv_22d):

1. set-up, in a child process (timed, not the measure): market data 2016-2018 (one run); ``--families`` walked
   over the monthly windows 2017-07 .. 2018-12 for every target by the walk-forward engine and the forecast store,
   as their assets do but without tracking each fit in MLflow (the 250 realised out-of-sample days per symbol a
   champion is chosen and its intervals calibrated on); ``retrain_job`` for every target: per target the
   champion, a shadow per family and per ensemble, every combiner, conformal interval thresholds;
2. the measure, one fresh child process per run: ``daily_job`` for 2018-12-31 as the schedule would run it (the
   day's close, regimes, every live set's forecast with intervals, scores, promotions, drift report, drivers,
   paths), ``first`` as the month's first live run, which fits every symbol's regime model of the month (on one
   process per CPU), then ``again``: the same day re-run, which finds them stored and does what every other day of
   the month does (the set-up's models are fitted through 2018-12-31, so no earlier day may be published): wall
   time, the peak resident memory of the process and every process it starts, summed (the regime fits' pool;
   ``TreeMemory``, imports included), the seconds inside Dagster's event log writes and their share of
   the wall time (``bookkeeping.EventWrites``), and each step's time. Steps run one after another (in process);
   under the daemon the multiprocess executor may overlap the independent ones.

Prints a table per symbol count and run and how wall time and memory grow with the symbols; writes JSON with
``--json``. The aim on this machine: 500 symbols in <= 5 minutes and <= 4 GiB, every run. ``--keep DIR`` keeps
each set-up in DIR (reused when there, copied to ``DIR/home`` before the measures: the instance and MLflow store
absolute paths) to measure again without it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bookkeeping import EventWrites, Timers, rss_mib, step_seconds  # noqa: E402

DAY = "2018-12-31"  # the last day of data, as the demo runs it
# the month's first live run (regime models fitted), then the same day with them stored
RUNS = ("first", "again")
WINDOWS = (
    "2017-07-01",
    "2018-12-01",
)  # 18 months: 250 realised out-of-sample days per target for the intervals
AIM_S, AIM_GIB = 300, 4.0


def environment(home: Path, symbols: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORGE_", "DAGSTER_", "MLFLOW_"))}
    # no DAGSTER_HOME: the embedded instance under FORGE_HOME, with its dagster.yaml (queue, pools)
    env.update(
        PYTHONPATH=str(REPO),
        FORGE_HOME=str(home),
        FORGE_SOURCE="synthetic",
        FORGE_SYNTHETIC_SYMBOLS=str(symbols),
        FORGE_SYNTHETIC_START="2016-01-04",
        FORGE_START_DATE="2016-01-04",
        FORGE_END_DATE=DAY,
        FORGE_WALK_FORWARD_START="2017-01-01",
        FORGE_LIVE_START_DATE="2018-12-03",
        MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false",
        DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS="true",
    )
    return env


def child_setup(families: list[str]) -> dict[str, Any]:
    """Step 1 of the module docstring, in this process."""
    from forge_core.date_window import monthly_windows
    from forge_core.forecasting.forecast_store import write_window
    from forge_core.forecasting.panel import load_panel
    from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
    from forge_core.settings import warehouse_path
    from forge_core.targets import configured_targets
    from forge_core.warehouse.connection import open_warehouse
    from forge_jobs.definitions import defs
    from forge_jobs.demo import QUIET
    from forge_jobs.instance import dagster_instance
    from forge_jobs.jobs import market_data_job, retrain_job
    from forge_jobs.launch import RANGE_END, RANGE_START, run_job

    instance = dagster_instance()
    names = [spec.name for spec in configured_targets()]
    seconds = {}

    def timed(label: str, job: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        result = run_job(job, instance, run_config=QUIET, raise_on_error=False, **kwargs)
        seconds[label] = round(seconds.get(label, 0.0) + time.perf_counter() - started, 1)
        if not result.success:
            raise SystemExit(f"set-up step {label} failed (run {result.run_id})")

    timed(
        "market_data",
        defs.resolve_job_def(market_data_job.name),
        tags={RANGE_START: "2016", RANGE_END: "2018"},
    )
    started = time.perf_counter()  # the members' history, written as their assets write it, without MLflow
    windows = monthly_windows(dt.date.fromisoformat(WINDOWS[0]), dt.date.fromisoformat(WINDOWS[1]))
    for spec in configured_targets():
        with open_warehouse(warehouse_path(), read_only=True) as conn:
            panel = load_panel(conn, spec, windows[-1].end)
        for family in families:
            for result in walk_forward(panel, spec, family, windows, TrainingScheme()):
                with open_warehouse(warehouse_path()) as conn:
                    write_window(conn, result, TrainingScheme())
    seconds["walk_forward"] = round(time.perf_counter() - started, 1)
    for target in names:
        timed("retrain", defs.resolve_job_def(retrain_job.name), tags={"dagster/partition": target})
    return seconds


class TreeMemory:
    """Peak resident memory of this process plus every live descendant (summed, from ``/proc`` every
    ``interval`` seconds while inside the ``with``); this process's own peak from ``getrusage`` when higher."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.children_gib = 0.0
        self._tree_gib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_gib(self) -> float:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        return max(own, self._tree_gib)

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            children = _descendants(me)
            own, others = rss_mib(me) / 1024, sum(rss_mib(pid) for pid in children) / 1024
            self.children_gib = max(self.children_gib, others)
            self._tree_gib = max(self._tree_gib, own + others)


def _descendants(root: int) -> list[int]:
    parent = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone since the listing
                continue
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        frontier = [pid for pid, up in parent.items() if up in frontier]
        found.extend(frontier)
    return found


def child_measure(run: str) -> dict[str, Any]:
    """Step 2 of the module docstring, ``run`` (one of ``RUNS``), in this (fresh) process."""
    from forge_jobs.definitions import defs
    from forge_jobs.demo import QUIET
    from forge_jobs.instance import dagster_instance
    from forge_jobs.jobs import daily_job
    from forge_jobs.launch import run_job

    instance = dagster_instance()
    timers = Timers()
    writes = EventWrites(instance.event_log_storage, timers)
    job = defs.resolve_job_def(daily_job.name)
    started = time.perf_counter()
    with TreeMemory() as memory:
        result = run_job(
            job, instance, run_config=QUIET, tags={"dagster/partition": DAY}, raise_on_error=False
        )
    wall = time.perf_counter() - started - writes.overhead
    steps = step_seconds(instance, result.run_id)
    event_s = timers.seconds["event_writes"]
    failures = [
        f"{e.step_key}: {e.event_specific_data.error.message.strip()[:300]}"  # type: ignore[union-attr]
        for e in result.all_events
        if e.is_step_failure
    ]
    return {
        "run": run,
        "success": result.success,
        "failures": failures,
        "wall_s": round(wall, 1),
        "peak_rss_gib": round(memory.peak_gib, 2),
        "peak_children_gib": round(memory.children_gib, 2),
        "event_write_s": round(event_s, 2),
        "event_write_share": round(event_s / wall, 4),
        "events_written": sum(writes.events.values()),
        "step_seconds": dict(sorted(steps.items(), key=lambda kv: -kv[1])),
    }


def set_up(home: Path, env: dict[str, str], symbols: int, families: str, keep: Path | None) -> dict[str, Any]:
    """Step 1 into ``home``: run, or copied from ``keep`` where an earlier run kept it (then kept there too)."""
    kept = keep / f"{symbols}-symbols" if keep else None
    if kept is not None and (kept / "setup.json").exists():
        print(f"{symbols} symbols: set-up copied from {kept}", flush=True)
        shutil.copytree(kept, home)
        result: dict[str, Any] = json.loads((home / "setup.json").read_text())
        return result
    (home / "dagster").mkdir(parents=True)
    print(f"{symbols} symbols: set-up ...", flush=True)
    result = run_child("setup", env, ["--child-families", families])
    print(f"  set-up {result}", flush=True)
    (home / "setup.json").write_text(json.dumps(result))
    if kept is not None:
        shutil.copytree(home, kept)
    return result


def run_child(kind: str, env: dict[str, str], extra: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, *extra],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", default="50,200,500")
    parser.add_argument("--families", default="har,log_har")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--keep", type=Path, help="keep (and reuse) each symbol count's set-up in this folder"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-families", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        setup = args.child == "setup"
        out = child_setup(args.child_families.split(",")) if setup else child_measure(args.child)
        print(json.dumps(out))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="forge-load-") as scratch:
        for symbols in (int(n) for n in args.symbols.split(",")):
            home = (args.keep or Path(scratch)) / "home"
            shutil.rmtree(home, ignore_errors=True)
            env = environment(home, symbols)
            setup = set_up(home, env, symbols, args.families, args.keep)
            for run in RUNS:
                print(f"  measuring daily_job {DAY} ({run}) ...", flush=True)
                measured = run_child(run, env, [])
                rows.append({"symbols": symbols, "setup_s": setup, **measured})
                top = list(measured["step_seconds"].items())[:4]
                print(
                    f"  {run}: {'ok' if measured['success'] else measured['failures']}, {measured['wall_s']} s, "
                    f"peak {measured['peak_rss_gib']} GiB (children {measured['peak_children_gib']}), event "
                    f"writes {measured['event_write_s']} s ({100 * measured['event_write_share']:.1f}%), "
                    f"slowest steps {top}",
                    flush=True,
                )
            shutil.rmtree(home)
    print(f"\ndaily_job {DAY}, 3 targets, members {args.families} + every ensemble, intervals")
    print(f"{'symbols':>8} {'run':>6} {'wall s':>8} {'peak GiB':>9} {'event s':>8} {'event %':>8} {'ok':>4}")
    for row in rows:
        print(
            f"{row['symbols']:>8} {row['run']:>6} {row['wall_s']:>8} {row['peak_rss_gib']:>9} "
            f"{row['event_write_s']:>8} {100 * row['event_write_share']:>7.1f}% {'yes' if row['success'] else 'NO':>4}"
        )
    counts = sorted({row["symbols"] for row in rows})
    for run in RUNS:
        first, last = (
            next(r for r in rows if r["symbols"] == n and r["run"] == run) for n in (counts[0], counts[-1])
        )
        if first is not last:
            print(
                f"{run}: x{last['symbols'] / first['symbols']:.0f} symbols: "
                f"wall x{last['wall_s'] / first['wall_s']:.2f}, "
                f"memory x{last['peak_rss_gib'] / first['peak_rss_gib']:.2f}"
            )
    biggest = [row for row in rows if row["symbols"] == counts[-1]]
    met = all(row["success"] and row["wall_s"] <= AIM_S and row["peak_rss_gib"] <= AIM_GIB for row in biggest)
    print(f"aim ({AIM_S} s, {AIM_GIB} GiB at {counts[-1]} symbols, every run): {'met' if met else 'NOT met'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"day": DAY, "runs": RUNS, "families": args.families, "rows": rows}, indent=1) + "\n"
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
