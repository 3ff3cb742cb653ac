"""Fault injection on real processes and a real DuckDB file; prints a table and writes benchmarks/results/faults.json.

- ``write-kill``: a child process rewrites one raw_prices partition over and over (alternating two versions of the
  same bars, told apart by their volume) and is killed with SIGKILL at a random moment; after every kill the
  partition must hold exactly one whole version: all of its rows, none twice, never a mix.
- ``four-writers``: four processes backfill different walk-forward windows of the same family into the same
  warehouse at once (each window one short write transaction through the retrying open); every open must succeed
  and every forecast row must be stored exactly once.

(A net killed with SIGKILL mid-training resuming from its checkpoint to the same weights is a test in the suite:
tests/core/nets/test_resume.py; a run killed mid-step is tests/jobs/test_dead_runs.py.)
``python benchmarks/faults.py [--kills 20] [--seed 0]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow, monthly_windows
from forge_core.forecasting.forecast_store import write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.pipeline import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import WarehouseBusyError, open_warehouse
from forge_core.warehouse.partition_writes import replace_window_from_frame

RESULTS = Path(__file__).parent / "results" / "faults.json"
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "write_kill": write_kill(args.kills, random.Random(args.seed), Path(tmp)),
            "four_writers": four_writers(Path(tmp)),
        }
    for name, figures in results.items():
        print(f"{name:>13}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    kill, four = results["write_kill"], results["four_writers"]
    ok = (
        kill["mixed_or_partial"] == 0
        and four["lock_failures"] == 0
        and four["rows_stored"] == four["distinct_keys"]
    )
    ok = ok and four["rows_stored"] == four["rows_written"] and four["windows_with_fits"] == four["windows"]
    print("all faults held" if ok else "A FAULT BROKE AN INVARIANT")
    RESULTS.write_text(json.dumps({"ok": ok, **results}, indent=1) + "\n")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
