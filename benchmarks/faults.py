"""Fault injection on real processes, a real DuckDB file and a real PostgreSQL server; prints tables and writes
benchmarks/results/faults.json (warehouse faults) and faults_postgres_restart[_LABEL].json and .txt.

- ``write-kill``: a child process rewrites one raw_prices partition over and over (alternating two versions of the
  same bars, told apart by their volume) and is killed with SIGKILL at a random moment; after every kill the
  partition must hold exactly one whole version: all of its rows, none twice, never a mix.
- ``four-writers``: four processes backfill different walk-forward windows of the same family into the same
  warehouse at once (each window one short write transaction through the retrying open); every open must succeed
  and every forecast row must be stored exactly once.
- ``postgres-restart``: a private PostgreSQL cluster (``initdb`` in a temporary folder, 127.0.0.1:5444, trust auth;
  as root its programs run as user postgres; the shared server is never touched) holds the Dagster instance (the
  repository's dagster.yaml: runs, event log, schedules) and the MLflow tracking store and registry, one database
  each per run. The market data of 2011-2015 is built (bundled source), an unbroken baselines_job run over six
  monthly windows of one target is the reference, then per case (``PG_CASES``) the same run starts from the same
  warehouse and Postgres is restarted (``pg_ctl restart -m fast``) or stopped for N seconds at a trigger seen in the
  run's own databases: the n-th step starting (event writes) or a share of the fits logged (MLflow logging). Then:
  did the run succeed or fail, and how did it say so (stack traces, lines); is every window's forecasts whole
  (equal to the reference) or absent; which MLflow runs and registered versions belong to windows not written;
  did Dagster mark the run failed and free its pool slot; does a re-run succeed, equal the reference and keep one
  registered version per fit. Last, how long an outage each client rides out (a call made while the server is
  stopped, the server started N seconds later).

(A net killed with SIGKILL mid-training resuming from its checkpoint to the same weights is a test in the suite:
tests/core/nets/test_resume.py; a run killed mid-step is tests/jobs/test_dead_runs.py; a quick version of
postgres-restart is tests/jobs/test_postgres_restart.py.)
``python benchmarks/faults.py [--scenarios write-kill,four-writers] [--kills 20] [--seed 0]``
``python benchmarks/faults.py --scenarios postgres-restart [--cases 8] [--label NAME] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import json
import logging
import multiprocessing
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow, monthly_windows
from forge_core.forecasting.forecast_store import write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import WarehouseBusyError, open_warehouse
from forge_core.warehouse.partition_writes import replace_window_from_frame

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "faults.json"
RESULTS_PG = Path(__file__).parent / "results" / "faults_postgres_restart.json"
WINDOW = DateWindow(dt.date(2000, 1, 3), dt.date(2019, 12, 31))
REWRITER = """
import sys, pandas as pd
from forge_core.date_window import DateWindow
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.partition_writes import replace_window_from_frame
path, bars_file = sys.argv[1], sys.argv[2]
bars = pd.read_parquet(bars_file)
window = DateWindow(bars["date"].min().date(), bars["date"].max().date() + pd.Timedelta(days=1))
version = 1
while True:
    version = 3 - version
    with open_warehouse(path) as conn:
        replace_window_from_frame(conn, "raw_prices", "date", window, bars.assign(volume=float(version)))
"""


def write_kill(kills: int, rng: random.Random, folder: Path) -> dict[str, object]:
    bars = SyntheticSource(40, seed=1, start=WINDOW.start, today=WINDOW.last_day).load(
        WINDOW.start, WINDOW.last_day
    )
    bars_file, path = folder / "bars.parquet", folder / "kill.duckdb"
    bars.to_parquet(bars_file)
    with open_warehouse(path) as conn:
        replace_window_from_frame(conn, "raw_prices", "date", WINDOW, bars.assign(volume=1.0))
    outcomes = {"whole_version_1": 0, "whole_version_2": 0, "mixed_or_partial": 0}
    for _ in range(kills):
        child = subprocess.Popen([sys.executable, "-c", REWRITER, str(path), str(bars_file)])
        time.sleep(rng.uniform(1.0, 12.0))  # start-up takes a few seconds, then each rewrite a second or more
        child.send_signal(signal.SIGKILL)
        child.wait()
        with open_warehouse(path, read_only=True) as conn:
            (rows, keys, versions, version) = conn.execute(
                "SELECT count(*), count(DISTINCT (symbol, date)), count(DISTINCT volume), min(volume) FROM raw_prices"
            ).fetchall()[0]
        whole = rows == keys == len(bars) and versions == 1
        outcomes["mixed_or_partial" if not whole else f"whole_version_{int(version)}"] += 1
    return {"kills": kills, "rows_per_partition": len(bars), **outcomes}


def _backfill(path: str, windows: list[tuple[str, str]], queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    spec, busy, written = DEFAULT_TARGETS[1], 0, 0
    for start, end in windows:
        window = DateWindow(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
        try:
            with open_warehouse(path, read_only=True) as conn:
                panel = load_panel(conn, spec, window.end)
            (result,) = walk_forward(panel, spec, "har", [window], TrainingScheme())
            with open_warehouse(path) as conn:
                written += write_window(conn, result, TrainingScheme())
        except WarehouseBusyError:
            busy += 1
    queue.put((os.getpid(), busy, written))


def four_writers(folder: Path) -> dict[str, object]:
    path = folder / "four.duckdb"
    first, last = dt.date(2014, 1, 2), dt.date(2019, 12, 31)
    with open_warehouse(path) as conn:
        build_market_tables(
            conn, SyntheticSource(4, seed=2, start=first, today=last).load(first, last), DEFAULT_TARGETS
        )
    windows = [
        (str(w.start), str(w.end)) for w in monthly_windows(dt.date(2018, 1, 1), dt.date(2019, 12, 31))
    ]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_backfill, args=(str(path), windows[i::4], queue)) for i in range(4)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    reports = [queue.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join()
    with open_warehouse(path, read_only=True) as conn:
        rows, keys, fit_windows = conn.execute(
            "SELECT count(*), count(DISTINCT (symbol, date, target, model)), "
            "(SELECT count(DISTINCT window_start) FROM model_fits) FROM forecasts"
        ).fetchall()[0]
    return {
        "processes": 4,
        "windows": len(windows),
        "seconds": round(time.perf_counter() - started, 1),
        "lock_failures": sum(busy for _, busy, _ in reports),
        "rows_written": sum(written for _, _, written in reports),
        "rows_stored": rows,
        "distinct_keys": keys,
        "windows_with_fits": fit_windows,
    }


# ------------------------------------------------------------------------------------------------ postgres-restart

PG_PORT = 5444
# A short span, so the market data build and each baselines run take seconds: one target, six monthly windows.
PG_SPAN = {
    "FORGE_SOURCE": "bundled",
    "FORGE_START_DATE": "2011-01-03",
    "FORGE_END_DATE": "2015-12-31",
    "FORGE_WALK_FORWARD_START": "2015-01-01",
    "FORGE_TARGETS": "rv_5d=5",
    "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true",
}
BASELINE_RANGE = ("rv_5d|2015-01-01", "rv_5d|2015-06-01")
CHILD_TIMEOUT_S = 900
# (trigger, fault): the trigger is what the watcher waits for in the run's own Postgres databases; the fault is a
# fast restart (`pg_ctl restart -m fast`: sessions terminated, the server back in a fraction of a second) or an
# outage of N seconds (stopped, started N seconds later).
PG_CASES = (
    ("events:1", "restart"),  # the first step starting: run start-up and planned-event writes
    ("mlflow:0.2", "restart"),
    ("events:3", "restart"),  # a step boundary: materialisation, check, step success, next step's start
    ("mlflow:0.5", "restart"),
    ("mlflow:0.8", "outage:3"),
    ("events:5", "outage:5"),
    ("mlflow:0.35", "outage:20"),  # longer than Dagster's connection retries (about 11 s)
    ("mlflow:0.65", "restart"),
    ("events:2", "restart"),
    ("events:4", "restart"),
    ("events:6", "restart"),
    ("events:2", "outage:15"),  # a step starting, and Postgres away longer than Dagster's connection retries
    (
        "mlflow:0.5",
        "outage:75",
    ),  # longer than forge_core.tracking's retries (60 s): the window's tracking fails
)
OUTAGE_PROBES = (1.0, 5.0, 10.0, 20.0)


class PrivatePostgres:
    """A PostgreSQL cluster of this process's own (``initdb`` in a temporary folder, trust auth for user
    ``postgres``, 127.0.0.1:``port``), so it can be restarted mid-run without touching the shared server. The
    server programs refuse to run as root: as root they run as the ``postgres`` user, in a folder it owns."""

    def __init__(self, port: int = PG_PORT) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            raise SystemExit(
                "postgres-restart needs PostgreSQL's server programs (/usr/lib/postgresql/*/bin)"
            )
        self.bin, self.port = found[-1].parent, port
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.folder = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data, self.log = self.folder / "data", self.folder / "server.log"
        self.options = f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1"

    def _ctl(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, str(self.bin / tool), *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}"
            )

    def __enter__(self) -> PrivatePostgres:
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        self._ctl("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        self._ctl("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self.options, "-w", "start")

    def stop(self) -> None:
        self._ctl("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self._ctl(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            self.options,
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def fault(self, kind: str) -> float:
        """``restart`` or ``outage:<seconds>``; returns the seconds the server was unavailable (about)."""
        started = time.perf_counter()
        if kind == "restart":
            self.restart()
        else:
            self.stop()
            time.sleep(float(kind.split(":")[1]))
            self.start()
        return time.perf_counter() - started

    def connect(self, database: str = "postgres") -> Any:
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5
        )

    def create_database(self, name: str) -> str:
        conn = self.connect()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return name

    def query(self, database: str, sql: str) -> list[tuple[Any, ...]]:
        conn = self.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return list(cur.fetchall())
        finally:
            conn.close()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class Place:
    """One FORGE_HOME (a copy of the market-data warehouse) with its Dagster and MLflow databases."""

    name: str
    home: Path
    env: dict[str, str]
    dagster_db: str
    mlflow_db: str

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"


def _place(pg: PrivatePostgres, root: Path, name: str, warehouse: Path | None) -> Place:
    home, dagster_home = root / name / "forge", root / name / "dagster"
    home.mkdir(parents=True)
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    if warehouse is not None:
        shutil.copy(warehouse, home / "warehouse.duckdb")
    dagster_db, mlflow_db = pg.create_database(f"dagster_{name}"), pg.create_database(f"mlflow_{name}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORGE_", "DAGSTER_", "MLFLOW_"))}
    env.update(
        PG_SPAN,
        PYTHONPATH=str(REPO),
        FORGE_HOME=str(home),
        DAGSTER_HOME=str(dagster_home),
        DAGSTER_PG_HOST="127.0.0.1",
        DAGSTER_PG_PORT=str(pg.port),
        DAGSTER_PG_DB=dagster_db,
        DAGSTER_PG_USER="postgres",
        DAGSTER_PG_PASSWORD="",
        FORGE_MLFLOW_TRACKING_URI=pg.url(mlflow_db),  # the registry follows the tracking URI
    )
    return Place(name, home, env, dagster_db, mlflow_db)


def _child_run(job_name: str) -> None:
    """One run of ``job_name`` over its range, as the demo launches it (``run_job``, raise_on_error=False); what a
    person at the terminal would see, uncaught errors included."""
    import warnings

    from dagster import BetaWarning

    warnings.filterwarnings("ignore", category=BetaWarning)
    from forge_jobs.definitions import defs
    from forge_jobs.demo import QUIET
    from forge_jobs.instance import dagster_instance
    from forge_jobs.launch import RANGE_END, RANGE_START, run_job

    job = defs.resolve_job_def(job_name)
    if job_name == "market_data_job":  # every partition of the span, whatever their size (days or years)
        keys = job.partitions_def.get_partition_keys()  # type: ignore[union-attr]
        first, last = keys[0], keys[-1]
    else:
        first, last = BASELINE_RANGE
    result = run_job(
        job,
        dagster_instance(),
        run_config=QUIET,
        tags={RANGE_START: first, RANGE_END: last},
        raise_on_error=False,
    )
    print(f"{job_name} {'succeeded' if result.success else 'FAILED'} (run {result.run_id})", flush=True)
    raise SystemExit(0 if result.success else 1)


def _launch(place: Place, job_name: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, __file__, "--child-run", job_name],
            env=place.env,
            cwd=REPO,
            stdout=out,
            stderr=out,
        )


def _count(pg: PrivatePostgres, database: str, sql: str) -> int:
    try:
        return int(pg.query(database, sql)[0][0])
    except Exception:  # not created yet, or the server is restarting
        return -1


def _wait_for(
    pg: PrivatePostgres, place: Place, trigger: str, mlflow_runs: int, child: subprocess.Popen[bytes]
) -> bool:
    """Poll the run's databases until ``trigger`` (``events:<n>``: the n-th STEP_START event is stored;
    ``mlflow:<fraction>``: that share of the reference run's MLflow runs is created); False if the run ended first."""
    kind, value = trigger.split(":")
    if kind == "events":
        database, sql, goal = (
            place.dagster_db,
            "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'STEP_START'",
            int(value),
        )
    else:
        database, sql, goal = (
            place.mlflow_db,
            "SELECT count(*) FROM runs",
            max(1, round(float(value) * mlflow_runs)),
        )
    while child.poll() is None:
        if _count(pg, database, sql) >= goal:
            return True
        time.sleep(0.02)
    return False


def _finish(child: subprocess.Popen[bytes]) -> tuple[int | None, bool]:
    """The run's exit code, or None and True if it did not end within CHILD_TIMEOUT_S (then it is killed)."""
    try:
        return child.wait(timeout=CHILD_TIMEOUT_S), False
    except subprocess.TimeoutExpired:
        return None, True
    finally:
        if child.poll() is None:  # timed out, or this process is being stopped
            child.kill()
            child.wait()


def _forecasts(path: Path) -> pd.DataFrame:
    with open_warehouse(path, read_only=True) as conn:
        frame = conn.execute("SELECT * EXCLUDE (created_at) FROM forecasts").df()
    return frame.sort_values(["target", "model", "window_start", "symbol", "date"]).reset_index(drop=True)


def _key(target: object, model: object, window: object) -> str:
    return f"{target}|{model}|{pd.Timestamp(window).date()}"  # type: ignore[arg-type]


def _windows(found: pd.DataFrame, reference: pd.DataFrame) -> dict[str, str]:
    """Per reference window (target|model|start): ``complete`` (the reference's rows exactly), ``absent`` or
    ``partial`` (anything else); a window the reference lacks is ``unexpected``."""
    groups = ["target", "model", "window_start"]
    ref = {_key(*k): g.reset_index(drop=True) for k, g in reference.groupby(groups)}
    got = {_key(*k): g.reset_index(drop=True) for k, g in found.groupby(groups)}
    states = {
        key: "absent" if key not in got else "complete" if got[key].equals(rows) else "partial"
        for key, rows in ref.items()
    }
    states |= {key: "unexpected" for key in got.keys() - ref.keys()}
    return states


def _mlflow(pg: PrivatePostgres, place: Place) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every MLflow run (status, window key, symbol, deleted) and every registered version (its run's window key,
    deleted: MLflow keeps a deleted version's row with its stage set to ``Deleted_Internal``)."""
    runs = pg.query(
        place.mlflow_db,
        "SELECT r.run_uuid, r.status, r.lifecycle_stage, "
        "max(CASE WHEN t.key = 'forge.target' THEN t.value END), "
        "max(CASE WHEN t.key = 'forge.family' THEN t.value END), "
        "max(CASE WHEN t.key = 'forge.window_start' THEN t.value END), "
        "max(CASE WHEN t.key = 'forge.symbol' THEN t.value END) "
        "FROM runs r LEFT JOIN tags t ON t.run_uuid = r.run_uuid GROUP BY r.run_uuid, r.status, r.lifecycle_stage",
    )
    by_run = {
        run_id: {
            "status": status,
            "deleted": stage == "deleted",
            "window": _key(target, family, start),
            "symbol": symbol,
        }
        for run_id, status, stage, target, family, start, symbol in runs
    }
    rows = pg.query(place.mlflow_db, "SELECT name, version, run_id, current_stage FROM model_versions")
    versions = [
        {
            "name": name,
            "version": version,
            **by_run.get(run_id, {"window": "?", "symbol": "?", "status": "?"}),
            "deleted": stage == "Deleted_Internal",
        }
        for name, version, run_id, stage in rows
    ]
    return list(by_run.values()), versions


def _output(log: Path) -> dict[str, Any]:
    """What a person at the terminal saw: lines, stack traces (Python's and Dagster's rendering), the first error
    line and the step failure's first lines."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in log.read_text(errors="replace").splitlines()]
    errors = [line for line in lines if " - ERROR - " in line or " ERROR " in line or "Error" in line]
    # Dagster's failure events, and forge_console_logger's one-line step failure
    failed = re.compile(r"STEP_FAILURE|RUN_FAILURE| - ERROR - [\w.]+ failed: ")
    failure = next((i for i, line in enumerate(lines) if failed.search(line)), None)
    said = (
        [line.strip() for line in lines[failure : failure + 6] if line.strip()][:3]
        if failure is not None
        else []
    )
    return {
        "lines": len(lines),
        "tracebacks": sum(
            "Traceback (most recent call last)" in line or line == "Stack Trace:" for line in lines
        ),
        "first_error": errors[0][:400] if errors else "",
        "failure": " | ".join(line[:300] for line in said),
        "last_line": lines[-1][:400] if lines else "",
    }


def _state(pg: PrivatePostgres, place: Place, reference: pd.DataFrame) -> dict[str, Any]:
    """The warehouse windows against the reference, MLflow runs and versions (not deleted) per window state, what
    was deleted, Dagster's runs by status and the pool slots still held."""
    windows = _windows(_forecasts(place.warehouse), reference) if place.warehouse.exists() else {}
    written = {key for key, state in windows.items() if state == "complete"}
    all_runs, all_versions = _mlflow(pg, place)
    runs = [r for r in all_runs if not r["deleted"]]
    versions = [v for v in all_versions if not v["deleted"]]
    per_fit = collections.Counter((v["window"], v["symbol"]) for v in versions)
    dagster_runs = pg.query(place.dagster_db, "SELECT status, count(*) FROM runs GROUP BY status")
    slots = pg.query(place.dagster_db, "SELECT count(*) FROM concurrency_slots WHERE run_id IS NOT NULL")[0][
        0
    ]
    return {
        "windows": dict(collections.Counter(windows.values())),
        "mlflow_runs": len(runs),
        "mlflow_runs_unfinished": sum(r["status"] != "FINISHED" for r in runs),
        "mlflow_runs_unwritten_window": sum(r["window"] not in written for r in runs),
        "mlflow_runs_deleted": len(all_runs) - len(runs),
        "versions": len(versions),
        "versions_unwritten_window": sum(v["window"] not in written for v in versions),
        "versions_duplicate_fit": sum(n - 1 for n in per_fit.values()),
        "versions_deleted": len(all_versions) - len(versions),
        "dagster_runs": {str(status): int(n) for status, n in dagster_runs},
        "pool_slots_held": int(slots),
    }


def _timed_run(place: Place, job_name: str, log: Path) -> tuple[int | None, float, bool]:
    started = time.perf_counter()
    child = _launch(place, job_name, log)
    code, hung = _finish(child)
    return code, time.perf_counter() - started, hung


def _repetition(
    pg: PrivatePostgres,
    root: Path,
    index: int,
    case: tuple[str, str],
    market: Path,
    reference: pd.DataFrame,
    mlflow_runs: int,
) -> dict[str, Any]:
    trigger, fault = case
    place = _place(pg, root, f"rep{index}", market)
    log = root / f"rep{index}.log"
    started = time.perf_counter()
    child = _launch(place, "baselines_job", log)
    try:
        hit = _wait_for(pg, place, trigger, mlflow_runs, child)
        at = time.perf_counter() - started
        down = pg.fault(fault) if hit else 0.0
    finally:
        code, hung = _finish(child)
    broken = {"exit": code, "hung": hung, "wall_s": round(time.perf_counter() - started, 1), **_output(log)}
    after = _state(pg, place, reference)
    rerun_code, rerun_s, rerun_hung = _timed_run(place, "baselines_job", root / f"rep{index}_rerun.log")
    final = _state(pg, place, reference)
    same = place.warehouse.exists() and _forecasts(place.warehouse).equals(reference)
    return {
        "case": index,
        "trigger": trigger,
        "fault": fault,
        "fault_at_s": round(at, 1) if hit else None,
        "down_s": round(down, 2),
        "run": broken,
        "after_run": after,
        "rerun": {
            "exit": rerun_code,
            "hung": rerun_hung,
            "wall_s": round(rerun_s, 1),
            "equals_reference": same,
            **final,
        },
        "log_tail": log.read_text(errors="replace").splitlines()[-40:],
    }


def _probe_outages(pg: PrivatePostgres, durations: Sequence[float]) -> list[dict[str, Any]]:
    """How long an outage each client rides out: the server stopped, a call made at once, the server started again
    ``seconds`` later. Dagster's Postgres storages retry opening a connection (5 retries, exponential backoff);
    MLflow's store pings pooled connections before use but does not retry; forge_core.tracking retries MLflow's
    calls for up to ``store_retry.RETRY_S`` seconds."""
    from dagster._core.events.log import EventLogEntry
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage
    from mlflow import MlflowClient

    try:
        from forge_core.tracking.store_retry import quiet_transient_errors, retrying
    except ImportError:  # a checkout from before tracking retried
        quiet_transient_errors, retrying = None, None

    url, mlflow_url = pg.url(pg.create_database("probe_dagster")), pg.url(pg.create_database("probe_mlflow"))
    calls: dict[str, Callable[[], object]] = {}
    runs, events = PostgresRunStorage(url), PostgresEventLogStorage(url)
    entry = EventLogEntry(
        error_info=None, level=logging.INFO, user_message="probe", run_id="probe", timestamp=time.time()
    )
    calls["dagster run read"] = runs.get_runs
    calls["dagster event write"] = lambda: events.store_event(entry)
    client = MlflowClient(tracking_uri=mlflow_url, registry_uri=mlflow_url)
    client.search_experiments()
    calls["mlflow read"] = client.search_experiments
    if retrying is not None and quiet_transient_errors is not None:
        calls["forge tracking read"] = lambda: retrying(
            client.search_experiments, what="a read", store=mlflow_url
        )
        quiet_transient_errors()  # MLflow's traceback for each refused connection, as in a run
    out = []
    for seconds in durations:
        for name, call in calls.items():
            pg.stop()
            restart = threading.Timer(seconds, pg.start)
            restart.start()
            started = time.perf_counter()
            try:
                call()
                ok, error = True, ""
            except Exception as exc:  # recorded
                ok, error = False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
            elapsed = time.perf_counter() - started
            restart.join()
            out.append(
                {
                    "call": name,
                    "outage_s": seconds,
                    "survived": ok,
                    "seconds": round(elapsed, 2),
                    "error": error,
                }
            )
    runs.dispose()
    events.dispose()
    return out


def postgres_restart(
    cases: Sequence[tuple[str, str]], probes: Sequence[float], keep: Path | None = None
) -> dict[str, Any]:
    """Build the market data on a private Postgres-backed instance, run the baselines once unbroken (the
    reference), then per case run them again from the same warehouse, fault Postgres at the trigger, check what
    was left, re-run and compare with the reference."""
    with PrivatePostgres() as pg, tempfile.TemporaryDirectory(prefix="faults-pg-run-") as tmp:
        root = Path(keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        base = _place(pg, root, "market", None)
        code, market_s, _ = _timed_run(base, "market_data_job", root / "market.log")
        if code != 0:
            raise SystemExit("the market data build failed:\n" + (root / "market.log").read_text()[-4000:])
        ref = _place(pg, root, "reference", base.warehouse)
        code, ref_s, _ = _timed_run(ref, "baselines_job", root / "reference.log")
        if code != 0:
            raise SystemExit(
                "the reference baselines run failed:\n" + (root / "reference.log").read_text()[-4000:]
            )
        reference = _forecasts(ref.warehouse)
        ref_state = _state(pg, ref, reference)
        repetitions = []
        for index, case in enumerate(cases, 1):
            repetitions.append(
                _repetition(pg, root, index, case, base.warehouse, reference, ref_state["mlflow_runs"])
            )
            print(_pg_row(repetitions[-1]), flush=True)
        probed = _probe_outages(pg, probes)
    return {
        "span": PG_SPAN,
        "baselines_range": BASELINE_RANGE,
        "market_s": round(market_s, 1),
        "reference": {"wall_s": round(ref_s, 1), "forecast_rows": len(reference), **ref_state},
        "repetitions": repetitions,
        "outage_probes": probed,
    }


def _pg_row(rep: dict[str, Any]) -> str:
    run, after, rerun = rep["run"], rep["after_run"], rep["rerun"]
    windows = after["windows"]
    status = ",".join(f"{k}:{v}" for k, v in sorted(after["dagster_runs"].items()))
    return (
        f"{rep['case']:>2} {rep['trigger']:<11} {rep['fault']:<9} {rep['fault_at_s'] or '-':>5} "
        f"{run['wall_s']:>6} {'hung' if run['hung'] else run['exit']:>4} {run['tracebacks']:>2} {run['lines']:>5} "
        f"{windows.get('complete', 0):>3}/{windows.get('absent', 0):<2}/{windows.get('partial', 0):<1} "
        f"{after['mlflow_runs_unwritten_window']:>5} {after['versions_unwritten_window']:>5} "
        f"{after['mlflow_runs_unfinished']:>5} {after['versions_deleted']:>4} {status:<13} "
        f"{after['pool_slots_held']:>2} {'hung' if rerun['hung'] else rerun['exit']:>4} "
        f"{'yes' if rerun['equals_reference'] else 'NO':>4} {rerun['windows'].get('partial', 0):>3} "
        f"{rerun['versions_duplicate_fit']:>4}"
    )


PG_LEGEND = """\
Per case: a baselines_job run (6 families x 6 monthly windows x 2 symbols, one target) on a Dagster instance and an
MLflow store in a private Postgres; at the trigger (events:n = the n-th STEP_START stored, mlflow:f = that share of
the reference run's MLflow runs created) Postgres is restarted (pg_ctl restart -m fast) or stopped for N seconds.
at s: seconds from launch to the fault; run s: the run's wall seconds; exit: its exit code; tb: stack traces it
printed (Python's and Dagster's); lines: console lines; cmp/ab/p: windows complete (equal to the unbroken reference
run), absent, partial after the faulted run; orphR/orphV: MLflow runs / registered versions (not deleted) of windows
not written; unfin: MLflow runs not FINISHED; delV: registered versions deleted (discarded); dagster runs: the
instance's runs by status; sl: pool slots still held; then the re-run: its exit code, whether all its forecasts
equal the reference, partial windows, registered versions beyond one per fit (duplicates).
Below: how long an outage each client rides out (server stopped, the call made at once, started N seconds later)."""

PG_HEADER = (
    " # trigger     fault      at s  run s exit tb lines cmp/ab/p orphR orphV unfin delV dagster runs  sl "
    "re-x same par dupV"
)


def _said_why(run: dict[str, Any]) -> str:
    """How a failed run said why: ``stack traces``, ``a line`` (a step's one-line failure, or one naming the lost
    Postgres connection) or ``nothing`` (only which steps failed)."""
    if run["tracebacks"]:
        return "stack traces"
    if "Postgres" in run["failure"] or re.search(r"\w failed: (?!\[)", run["failure"]):
        return "a line"
    return "nothing"


def pg_summary(results: dict[str, Any]) -> dict[str, int]:
    """Counts over the faults: runs that rode them out, failed saying why in a line, failed with stack traces or
    without saying why; partial windows; MLflow runs and versions left for windows not written; duplicate versions
    after the re-runs; re-runs that did not succeed or differ from the reference."""
    reps = results["repetitions"]
    said = collections.Counter(_said_why(r["run"]) for r in reps if r["run"]["exit"] != 0)
    return {
        "faults": sum(r["fault_at_s"] is not None for r in reps),
        "runs_succeeded": sum(r["run"]["exit"] == 0 for r in reps),
        "runs_failed_in_a_line": said["a line"],
        "runs_failed_with_stack_traces": said["stack traces"],
        "runs_failed_without_saying_why": said["nothing"],
        "partial_windows": sum(
            r["after_run"]["windows"].get("partial", 0) + r["rerun"]["windows"].get("partial", 0)
            for r in reps
        ),
        "mlflow_runs_of_unwritten_windows": sum(r["after_run"]["mlflow_runs_unwritten_window"] for r in reps),
        "versions_of_unwritten_windows": sum(r["after_run"]["versions_unwritten_window"] for r in reps),
        "duplicate_versions_after_rerun": sum(r["rerun"]["versions_duplicate_fit"] for r in reps),
        "reruns_failed_or_different": sum(
            not (r["rerun"]["exit"] == 0 and r["rerun"]["equals_reference"]) for r in reps
        ),
    }


def pg_table(results: dict[str, Any]) -> str:
    lines = [PG_HEADER, "-" * len(PG_HEADER), *(_pg_row(rep) for rep in results["repetitions"])]
    lines += ["", ", ".join(f"{k} {v}" for k, v in pg_summary(results).items())]
    lines += ["", f"{'call':<20} {'outage s':>8} {'survived':>8} {'seconds':>8}  error", "-" * 60]
    lines += [
        f"{p['call']:<20} {p['outage_s']:>8} {'yes' if p['survived'] else 'NO':>8} {p['seconds']:>8}  {p['error']}"
        for p in results["outage_probes"]
    ]
    return "\n".join(lines)


def pg_verdict(results: dict[str, Any]) -> dict[str, bool]:
    """The scenario's properties over every repetition."""
    reps = results["repetitions"]
    failed = [r for r in reps if r["run"]["exit"] != 0]
    return {
        "every faulted run ended (none hung)": all(not r["run"]["hung"] for r in reps),
        "a failed run is marked failed and frees its pool slot": all(
            set(r["after_run"]["dagster_runs"]) <= {"SUCCESS", "FAILURE"}
            and r["after_run"]["pool_slots_held"] == 0
            for r in reps
        ),
        "a failure says why in a line, without stack traces": all(
            _said_why(r["run"]) == "a line" for r in failed
        ),
        "no partial window in the warehouse": all(
            not r["after_run"]["windows"].get("partial") and not r["rerun"]["windows"].get("partial")
            for r in reps
        ),
        "no MLflow run or version for a window not written": all(
            r["after_run"]["versions_unwritten_window"] == 0
            and r["after_run"]["mlflow_runs_unwritten_window"] == 0
            for r in reps
        ),
        "no duplicate registered version after the re-run": all(
            r["rerun"]["versions_duplicate_fit"] == 0 for r in reps
        ),
        "the re-run succeeds and equals the unbroken reference": all(
            r["rerun"]["exit"] == 0 and r["rerun"]["equals_reference"] for r in reps
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenarios",
        default="write-kill,four-writers",
        type=lambda s: s.split(","),
        help="comma-separated: write-kill, four-writers, postgres-restart",
    )
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cases", type=int, default=len(PG_CASES), help="postgres-restart: the first N cases"
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="postgres-restart: keep the runs' folders here"
    )
    parser.add_argument(
        "--label",
        default="",
        help="postgres-restart: write results/faults_postgres_restart_LABEL.json and .txt",
    )
    parser.add_argument("--child-run", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_run:
        _child_run(args.child_run)
    unknown = set(args.scenarios) - {"write-kill", "four-writers", "postgres-restart"}
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")
    ok = True
    if "write-kill" in args.scenarios or "four-writers" in args.scenarios:
        ok = warehouse_faults(args) and ok
    if "postgres-restart" in args.scenarios:
        ok = postgres_restart_faults(PG_CASES[: args.cases], args.keep, args.label) and ok
    raise SystemExit(0 if ok else 1)


def warehouse_faults(args: argparse.Namespace) -> bool:
    """write-kill and four-writers; results merged into faults.json."""
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[str, Any] = {}
        if "write-kill" in args.scenarios:
            results["write_kill"] = write_kill(args.kills, random.Random(args.seed), Path(tmp))
        if "four-writers" in args.scenarios:
            results["four_writers"] = four_writers(Path(tmp))
    for name, figures in results.items():
        print(f"{name:>13}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    recorded = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    recorded.pop("ok", None)
    merged = {**recorded, **results}
    kill, four = merged.get("write_kill"), merged.get("four_writers")
    ok = kill is None or kill["mixed_or_partial"] == 0
    if four is not None:
        ok = ok and four["lock_failures"] == 0 and four["rows_stored"] == four["distinct_keys"]
        ok = (
            ok
            and four["rows_stored"] == four["rows_written"]
            and four["windows_with_fits"] == four["windows"]
        )
    print("all faults held" if ok else "A FAULT BROKE AN INVARIANT")
    RESULTS.write_text(json.dumps({"ok": ok, **merged}, indent=1) + "\n")
    return ok


def postgres_restart_faults(cases: Sequence[tuple[str, str]], keep: Path | None, label: str) -> bool:
    """postgres-restart; results in faults_postgres_restart[_LABEL].json and .txt. SIGTERM stops it cleanly (its
    run killed, its Postgres cluster stopped and removed)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    results = postgres_restart(cases, OUTAGE_PROBES, keep)
    verdict = pg_verdict(results)
    text = (
        pg_table(results)
        + "\n\n"
        + "\n".join(f"{k}: {'held' if v else 'BROKEN'}" for k, v in verdict.items())
    )
    print()
    print(text)
    out = RESULTS_PG.with_name(f"faults_postgres_restart{'_' + label if label else ''}.json")
    command = "python benchmarks/faults.py --scenarios postgres-restart" + (
        f" --label {label}" if label else ""
    )
    if len(cases) != len(PG_CASES):
        command += f" --cases {len(cases)}"
    out.write_text(
        json.dumps({"ok": all(verdict.values()), "properties": verdict, **results}, indent=1) + "\n"
    )
    out.with_suffix(".txt").write_text(f"$ {command}\n\n{PG_LEGEND}\n\n{text}\n")
    return all(verdict.values())


if __name__ == "__main__":
    main()
