"""Benchmark Dagster's bookkeeping: the share of a backfill's wall time spent writing events to the instance.

Two single-run backfills, as the demo launches them (``execute_in_process`` with the
``dagster/asset_partition_range_start/_end`` tags):

- ``market``: ``market_data_job`` (raw_prices -> daily_features -> targets) over the years of
  ``--start`` .. ``--end`` (default the bundled span 1999-01-04 .. 2018-12-31);
- ``baselines``: ``baselines_job`` (every baseline family) over the monthly walk-forward windows
  ``--bt-start`` .. ``--bt-end`` (default 2010-01 .. 2018-12, nine years) for every target, on the warehouse the
  market run built (``--jobs baselines`` alone still builds the market data first, unmeasured);
- ``floor``: the smallest run Dagster can make, one unpartitioned asset that does nothing, launched the same way:
  the bookkeeping every run pays whatever it does.

Each instance kind runs in a fresh Python process with a fresh ``FORGE_HOME`` (bundled source, MLflow and the
warehouse under it) in a temporary folder:

- ``sqlite``: a temporary ``DAGSTER_HOME`` with the embedded instance's dagster.yaml (``EMBEDDED_INSTANCE_YAML``);
- ``postgres``: a temporary ``DAGSTER_HOME`` with the repository's dagster.yaml, ``DAGSTER_PG_*`` pointing at a
  throwaway database on 127.0.0.1:5432 (user postgres, trust auth), dropped afterwards.

Timers (wall clock, outermost call only): the instance's event log storage ``store_event`` and
``store_event_batch`` (events written, by type, and the serialised bytes of materialisation events),
``WarehouseResource.open`` (time inside warehouse connections: reads, SQL builds and writes) and
``track_fits`` (MLflow logging and registration of every baseline fit). The instrumentation's own time (counting
bytes) is subtracted from the wall time.

    python benchmarks/bookkeeping.py [--instance sqlite|postgres|both] [--jobs market,baselines,floor]
        [--start 1999-01-04] [--end 2018-12-31] [--bt-start 2010-01-01] [--bt-end 2018-12-31]
        [--label NAME] [--out benchmarks/results/bookkeeping_NAME.json]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
AIM = 0.20  # event writes should stay below this share of wall time
# Settings passed from this process to the measured ones: the partition span, and Dagster's switch that writes one
# ASSET_MATERIALIZATION_PLANNED event per asset for a ranged run instead of one per partition.
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
PASSED = ("FORGE_START_DATE", "FORGE_END_DATE", "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS")


def rss_mib(pid: int | str = "self") -> float:
    """Resident memory of process ``pid`` now (``VmRSS`` of ``/proc/<pid>/status``), in MiB; 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone
        return 0.0
    kib = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), "0")
    return int(kib) / 1024


class Timers:
    """Seconds and calls per named timer, counting only the outermost of nested calls."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self._depth: collections.Counter[str] = collections.Counter()

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        self._depth[name] += 1
        started = time.perf_counter()
        try:
            yield
        finally:
            self._depth[name] -= 1
            if self._depth[name] == 0:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1


def step_seconds(instance: Any, run_id: str) -> dict[str, float]:
    """Each finished step's wall time in the run ``run_id``, from the instance's step stats."""
    return {
        s.step_key: round(s.end_time - s.start_time, 2)
        for s in instance.get_run_step_stats(run_id)
        if s.end_time and s.start_time
    }


class EventWrites:
    """Wraps an instance's event log storage: the seconds spent in ``store_event``/``store_event_batch`` (timer
    ``event_writes``, outermost call only), events and seconds by type, the serialised bytes of materialisation
    events, and the counting's own time (``overhead``, to subtract from a wall time)."""

    def __init__(self, storage: Any, timers: Timers) -> None:
        from dagster._serdes import serialize_value

        self.timers = timers
        self.events: collections.Counter[str] = collections.Counter()
        self.by_type: collections.Counter[str] = collections.Counter()
        self.materialisation_bytes = 0
        self.overhead = 0.0
        store_event, store_event_batch = storage.store_event, storage.store_event_batch

        def count(entry: Any) -> str:
            started = time.perf_counter()
            kind: str = entry.dagster_event.event_type_value if entry.dagster_event else "LOG_MESSAGE"
            self.events[kind] += 1
            if kind == "ASSET_MATERIALIZATION":
                self.materialisation_bytes += len(serialize_value(entry))
            self.overhead += time.perf_counter() - started
            return kind

        def timed_store_event(entry: Any) -> None:
            if timers._depth["event_writes"]:
                store_event(entry)
                return
            kind = count(entry)
            started = time.perf_counter()
            with timers.time("event_writes"):
                store_event(entry)
            self.by_type[kind] += time.perf_counter() - started

        def timed_store_event_batch(entries: Any) -> None:
            for entry in entries:
                count(entry)
            started = time.perf_counter()
            with timers.time("event_writes"):
                store_event_batch(entries)
            self.by_type["(batches)"] += time.perf_counter() - started

        storage.store_event = timed_store_event
        storage.store_event_batch = timed_store_event_batch

    def reset(self) -> None:
        self.events.clear()
        self.by_type.clear()
        self.materialisation_bytes, self.overhead = 0, 0.0


def _child(args: argparse.Namespace) -> dict[str, Any]:
    """Run the jobs on the instance named by DAGSTER_HOME, instrumented; runs inside the child process."""
    import warnings

    from dagster import BetaWarning

    warnings.filterwarnings("ignore", category=BetaWarning)

    import forge_assets.model_forecasts as model_forecasts
    from forge_assets.partitions import market_years
    from forge_core.targets import configured_targets
    from forge_jobs.definitions import defs
    from forge_jobs.demo import QUIET
    from forge_jobs.instance import dagster_instance
    from forge_jobs.jobs import baselines_job, market_data_job
    from forge_jobs.launch import run_job
    from forge_resources import WarehouseResource

    timers = Timers()
    instance = dagster_instance()
    writes = EventWrites(instance.event_log_storage, timers)

    opened = WarehouseResource.open

    @contextmanager
    def timed_open(self: Any, **kwargs: Any) -> Iterator[Any]:
        with timers.time("warehouse"), opened(self, **kwargs) as conn:
            yield conn

    WarehouseResource.open = timed_open  # type: ignore[method-assign,assignment]
    track_fits = model_forecasts.track_fits

    def timed_track_fits(*a: Any, **k: Any) -> Any:
        with timers.time("mlflow"):
            return track_fits(*a, **k)

    model_forecasts.track_fits = timed_track_fits  # type: ignore[assignment]

    def measure(job: Any, tags: dict[str, str], partitions: int) -> dict[str, Any]:
        timers.seconds.clear()
        timers.calls.clear()
        writes.reset()
        started = time.perf_counter()
        result = run_job(job, instance, run_config=QUIET, tags=tags, raise_on_error=False)
        wall = time.perf_counter() - started - writes.overhead
        steps = step_seconds(instance, result.run_id)
        event_s = timers.seconds["event_writes"]
        return {
            "job": job.name,
            "range": [tags.get(RANGE_START), tags.get(RANGE_END)],
            "partitions": partitions,
            "success": result.success,
            "wall_s": round(wall, 2),
            "event_write_s": round(event_s, 2),
            "event_write_share": round(event_s / wall, 4),
            "events_written": sum(writes.events.values()),
            "events_by_type": dict(writes.events.most_common()),
            "event_write_s_by_type": {k: round(v, 2) for k, v in writes.by_type.most_common()},
            "materialisation_bytes": writes.materialisation_bytes,
            "warehouse_s": round(timers.seconds["warehouse"], 2),
            "warehouse_opens": timers.calls["warehouse"],
            "mlflow_s": round(timers.seconds["mlflow"], 2),
            "mlflow_calls": timers.calls["mlflow"],
            "step_seconds": steps,
        }

    out: list[dict[str, Any]] = []
    from dagster import PartitionKeyRange

    first, last = str(args.start.year), str(args.end.year)
    years = len(market_years.get_partition_keys_in_range(PartitionKeyRange(first, last)))
    market = measure(defs.resolve_job_def(market_data_job.name), span(first, last), years)
    if "market" in args.jobs:
        out.append(market)
    if "baselines" in args.jobs and market["success"]:
        names = [spec.name for spec in configured_targets()]
        window = "{}|{:%Y-%m}-01"
        months = (args.bt_end.year - args.bt_start.year) * 12 + args.bt_end.month - args.bt_start.month + 1
        first_window, last_window = (
            window.format(names[0], args.bt_start),
            window.format(names[-1], args.bt_end),
        )
        out.append(
            measure(
                defs.resolve_job_def(baselines_job.name), span(first_window, last_window), months * len(names)
            )
        )
    if "floor" in args.jobs:
        out.append(measure(nothing_job(), {}, 0))
    instance.dispose()
    return {"runs": out}


def span(first: str, last: str) -> dict[str, str]:
    """The tags of a single-run backfill of the partitions ``first`` .. ``last``."""
    return {RANGE_START: first, RANGE_END: last}


def nothing_job() -> Any:
    """A job of one unpartitioned asset that does nothing."""
    from dagster import Definitions, asset, define_asset_job

    @asset
    def nothing() -> None:
        return None

    return Definitions(assets=[nothing], jobs=[define_asset_job("nothing_job")]).resolve_job_def(
        "nothing_job"
    )


@contextmanager
def _throwaway_database() -> Iterator[str]:
    import psycopg2

    name = f"bookkeeping_{uuid.uuid4().hex}"
    admin = psycopg2.connect(**POSTGRES, dbname="postgres")  # type: ignore[arg-type]
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _run_instance(kind: str, argv: list[str], synthetic_symbols: int) -> dict[str, Any]:
    """One child process on a fresh FORGE_HOME and a fresh instance of ``kind``."""
    from forge_jobs.instance import EMBEDDED_INSTANCE_YAML

    with tempfile.TemporaryDirectory(prefix="bookkeeping-") as tmp:
        home, dagster_home = Path(tmp) / "forge", Path(tmp) / "dagster"
        home.mkdir()
        dagster_home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FORGE_", "DAGSTER_"))}
        env.update(FORGE_HOME=str(home), FORGE_SOURCE="bundled", DAGSTER_HOME=str(dagster_home))
        if synthetic_symbols:  # a market as wide as asked, over the same days
            env.update(
                FORGE_SOURCE="synthetic",
                FORGE_SYNTHETIC_SYMBOLS=str(synthetic_symbols),
                FORGE_SYNTHETIC_START=os.environ.get("FORGE_START_DATE", "1999-01-04"),
            )
        for name in PASSED:  # the settings under test pass through
            if os.environ.get(name):
                env[name] = os.environ[name]
        result_file = Path(tmp) / "result.json"
        command = [sys.executable, __file__, *argv, "--child", str(result_file)]
        if kind == "sqlite":
            (dagster_home / "dagster.yaml").write_text(EMBEDDED_INSTANCE_YAML)
            subprocess.run(command, env=env, check=True, cwd=REPO)
        else:
            shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
            with _throwaway_database() as database:
                env.update(
                    DAGSTER_PG_HOST=POSTGRES["host"],
                    DAGSTER_PG_PORT=str(POSTGRES["port"]),
                    DAGSTER_PG_DB=database,
                    DAGSTER_PG_USER=POSTGRES["user"],
                    DAGSTER_PG_PASSWORD="",
                )
                subprocess.run(command, env=env, check=True, cwd=REPO)
        found: dict[str, Any] = json.loads(result_file.read_text())
        return found


def table(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'instance':<9} {'job':<16} {'parts':>6} {'wall s':>8} {'event s':>8} {'event %':>8} {'events':>7} "
        f"{'mat. MB':>8} {'wareh. s':>9} {'mlflow s':>9} ok"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['instance']:<9} {r['job']:<16} {r['partitions']:>6} {r['wall_s']:>8.1f} {r['event_write_s']:>8.1f} "
            f"{100 * r['event_write_share']:>7.1f}% {r['events_written']:>7} {r['materialisation_bytes'] / 1e6:>8.2f} "
            f"{r['warehouse_s']:>9.1f} {r['mlflow_s']:>9.1f} {'yes' if r['success'] else 'NO'}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instance", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--jobs", default="market,baselines", type=lambda s: s.split(","))
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(1999, 1, 4))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2018, 12, 31))
    parser.add_argument("--bt-start", type=dt.date.fromisoformat, default=dt.date(2010, 1, 1))
    parser.add_argument("--bt-end", type=dt.date.fromisoformat, default=dt.date(2018, 12, 31))
    parser.add_argument(
        "--synthetic-symbols",
        type=int,
        default=0,
        help="measure on a synthetic market of this many symbols instead of the bundled data",
    )
    parser.add_argument("--label", default="run")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.child.write_text(json.dumps(_child(args)))
        return
    argv = [a for a in sys.argv[1:]]
    kinds = ["sqlite", "postgres"] if args.instance == "both" else [args.instance]
    results = []
    for kind in kinds:
        for run in _run_instance(kind, argv, args.synthetic_symbols)["runs"]:
            source = f"synthetic x{args.synthetic_symbols}" if args.synthetic_symbols else "bundled"
            results.append({"instance": kind, "source": source, **run})
            print(table(results[-1:]), flush=True)
    text = table(results)
    print()
    print(text)
    out = args.out or REPO / "benchmarks" / "results" / f"bookkeeping_{args.label}.json"
    command = "python benchmarks/bookkeeping.py " + " ".join(argv)
    env = {k: os.environ[k] for k in PASSED if os.environ.get(k)}
    import dagster

    out.write_text(
        json.dumps(
            {
                "label": args.label,
                "command": command,
                "environment": env,
                "aim_event_write_share_below": AIM,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "dagster": dagster.__version__,
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    out.with_suffix(".txt").write_text(
        f"$ {' '.join(f'{k}={v}' for k, v in env.items())} {command}\n\n{text}\n"
    )
    print(f"wrote {out} and {out.with_suffix('.txt')}")


if __name__ == "__main__":
    main()
