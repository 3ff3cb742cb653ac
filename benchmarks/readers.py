"""Readers during a backfill: do they ever fail, do they slow the writer, do they ever see half a partition?

    python benchmarks/readers.py [--symbols 5] [--attempts 1000] [--json benchmarks/results/readers.json]

A synthetic market (``--symbols``, 2010-2018) is built once; per scenario a fresh FORGE_HOME gets a copy of it and a
child process runs ``baselines_job`` over the monthly windows of 2017-2018 for rv_1d (one run, the embedded SQLite
instance and MLflow store, as the demo runs it). Scenarios:

- ``undisturbed``: the writer alone (it publishes the readers' snapshot after every write, as always);
- ``snapshots_off``: the writer alone with ``FORGE_READER_SNAPSHOTS=off``: what publishing costs it;
- ``snapshot_readers``: a reader process makes ``--attempts`` reads spread over the run, each through
  ``open_reader`` (the published snapshot), and a second one holds a reader connection open for the whole run,
  as a notebook does;
- ``live_readers``: the same reads against the live file (``duckdb.connect(live, read_only=True)``), as before
  the snapshots: what a user saw.

Per scenario: the writer's wall time and its ratio to ``undisturbed``, whether the run succeeded, the reader
attempts, the failed ones (and the first error), and the reads that saw a partial partition: a (model, window)
whose row count differs from what the run finally wrote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from forge_core.data.synthetic import SyntheticSource
from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.reader_snapshots import open_reader

REPO = Path(__file__).resolve().parent.parent
RANGE = ("rv_1d|2017-01-01", "rv_1d|2018-12-01")
PARTITIONS_SQL = (
    "SELECT model, window_start, count(*) AS n FROM forecasts WHERE target = 'rv_1d' GROUP BY ALL"
)
SCENARIOS = ("undisturbed", "snapshots_off", "snapshot_readers", "live_readers")


def build_market(folder: Path, symbols: int) -> Path:
    path = folder / "market.duckdb"
    source = SyntheticSource(symbols, seed=5, start=dt.date(2010, 1, 4), today=dt.date(2018, 12, 31))
    with open_warehouse(path) as conn:
        build_market_tables(conn, source.load(dt.date(2010, 1, 4), dt.date(2018, 12, 31)), DEFAULT_TARGETS)
    return path


def child_backfill() -> None:
    """The writer: one run of baselines_job over ``RANGE``, as the demo launches it."""
    import warnings

    from dagster import BetaWarning

    warnings.filterwarnings("ignore", category=BetaWarning)
    from forge_jobs.definitions import defs
    from forge_jobs.demo import QUIET
    from forge_jobs.instance import dagster_instance
    from forge_jobs.launch import RANGE_END, RANGE_START, run_job

    result = run_job(
        defs.resolve_job_def("baselines_job"),
        dagster_instance(),
        run_config=QUIET,
        tags={RANGE_START: RANGE[0], RANGE_END: RANGE[1]},
        raise_on_error=False,
    )
    raise SystemExit(0 if result.success else 1)


def child_reader(live: str, mode: str, attempts: int, spacing_s: float, out: str) -> None:
    """``attempts`` reads of the forecast partitions, ``spacing_s`` apart; results as JSON lines in ``out``."""
    with Path(out).open("w") as log:
        for _ in range(attempts):
            started = time.perf_counter()
            record: dict[str, Any] = {}
            try:
                if mode == "snapshot":
                    with open_reader(live) as conn:
                        record["partitions"] = conn.execute(PARTITIONS_SQL).fetchall()
                else:
                    conn = duckdb.connect(live, read_only=True)
                    try:
                        record["partitions"] = conn.execute(PARTITIONS_SQL).fetchall()
                    finally:
                        conn.close()
            except (duckdb.Error, FileNotFoundError) as error:
                record["error"] = str(error).splitlines()[0]
            record["seconds"] = time.perf_counter() - started
            log.write(json.dumps(record, default=str) + "\n")
            log.flush()
            time.sleep(max(0.0, spacing_s - record["seconds"]))


def child_notebook(live: str, seconds: float) -> None:
    """A notebook: one reader connection held open for ``seconds``, reading now and then."""
    with open_reader(live) as conn:
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            conn.execute("SELECT count(*) FROM forecasts").fetchall()
            time.sleep(1.0)


def spawn(args: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, __file__, *args], env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
    )


def scenario(name: str, market: Path, root: Path, attempts: int, expected_s: float) -> dict[str, Any]:
    home = root / name
    home.mkdir()
    live = home / "warehouse.duckdb"
    shutil.copy(market, live)
    with open_warehouse(live):  # publishes the first snapshot, as any write does
        pass
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORGE_", "DAGSTER_", "MLFLOW_"))}
    env.update(PYTHONPATH=str(REPO), FORGE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"))
    (home / "dagster").mkdir()
    if name == "snapshots_off":
        env["FORGE_READER_SNAPSHOTS"] = "off"
    readers: list[subprocess.Popen[bytes]] = []
    reads = home / "reads.jsonl"
    started = time.perf_counter()
    writer = spawn(["--child", "backfill"], env, home / "writer.log")
    if name in ("snapshot_readers", "live_readers"):
        mode = "snapshot" if name == "snapshot_readers" else "live"
        spacing = expected_s / attempts
        readers.append(
            spawn(["--child", "reader", str(live), mode, str(attempts), str(spacing), str(reads)], env)
        )
        if mode == "snapshot":
            readers.append(spawn(["--child", "notebook", str(live), str(expected_s)], env))
    code = writer.wait()
    wall = time.perf_counter() - started
    for reader in readers:
        reader.wait()
    with open_warehouse(live, read_only=True) as conn:
        final = {(m, str(w)): n for m, w, n in conn.execute(PARTITIONS_SQL).fetchall()}
    row: dict[str, Any] = {
        "scenario": name,
        "writer_s": round(wall, 1),
        "run_ok": code == 0,
        "windows": len(final),
    }
    if reads.exists():
        records = [json.loads(line) for line in reads.read_text().splitlines()]
        failed = [r["error"] for r in records if "error" in r]
        partial = sum(
            any(final.get((m, str(w))) != n for m, w, n in r["partitions"])
            for r in records
            if "partitions" in r
        )
        row.update(
            attempts=len(records),
            failed=len(failed),
            partial_reads=partial,
            read_p50_ms=round(1000 * float(pd.Series([r["seconds"] for r in records]).median()), 1),
            first_error=failed[0][:120] if failed else "",
        )
    if code != 0:
        row["writer_error"] = (home / "writer.log").read_text()[-400:]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=5)
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "backfill":
            child_backfill()
        elif kind == "reader":
            child_reader(rest[0], rest[1], int(rest[2]), float(rest[3]), rest[4])
        else:
            child_notebook(rest[0], float(rest[1]))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="forge-readers-") as folder:
        root = Path(folder)
        market = build_market(root, args.symbols)
        expected = 0.0
        for name in args.scenarios.split(","):
            print(f"{name} ...", flush=True)
            row = scenario(name, market, root, args.attempts, expected or 120.0)
            expected = expected or row["writer_s"]
            rows.append(row)
            print(f"  {row}", flush=True)
            shutil.rmtree(root / name, ignore_errors=True)
    table = pd.DataFrame(rows)
    base = table.loc[table["scenario"] == "undisturbed", "writer_s"]
    if len(base):
        table["writer_ratio"] = (table["writer_s"] / float(base.iloc[0])).round(3)
    pd.set_option("display.width", 220)
    print(f"\nbaselines_job over {RANGE[0]} .. {RANGE[1]}, {args.symbols} synthetic symbols")
    print(table.drop(columns=[c for c in ("writer_error",) if c in table]).to_string(index=False))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"symbols": args.symbols, "rows": rows}, indent=1, default=str) + "\n"
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
