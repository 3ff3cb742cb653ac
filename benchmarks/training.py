"""Training throughput and inference latency of every torch family, on the CPU and on a GPU when there is one.

    python benchmarks/training.py [--years 12] [--epochs 5] [--devices cpu,cuda] [--json PATH]

Data: a synthetic market (one symbol) through the project's feature and target SQL, target rv_5d on Parkinson.
Per family and device: training samples per second (samples x epochs / fit seconds, a fixed number of epochs,
no early stop), single-forecast latency (predict on the shortest history that yields one forecast, median of
repeated calls) and batch latency (predict on the whole history, per forecast).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import torch

from forge_core.compute import make_runtime
from forge_core.data.synthetic import SyntheticSource
from forge_core.forecasting.panel import load_panel
from forge_core.market_tables import build_market_tables
from forge_core.models import ForecastTask, create_model, families
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

TARGET = TargetSpec("rv_5d", 5)
SINGLE_CALLS = 30


def panel(years: int):
    end = dt.date(2025, 12, 31)
    start = end.replace(year=end.year - years)
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    bars = SyntheticSource(1, seed=3, start=start, today=end, include_vix=True).load(start, end)
    build_market_tables(conn, bars, (TARGET,))
    return load_panel(conn, TARGET, end + dt.timedelta(days=1))


def measure(family: str, device: str, frame, epochs: int) -> dict[str, object]:
    runtime = make_runtime(device)
    model = create_model(
        family, ForecastTask(TARGET.horizon, TARGET.proxy), runtime, epochs=epochs, patience=epochs
    )
    train = frame[frame["target_value"].notna()]
    started = time.perf_counter()
    model.fit(train, train["target_value"])
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    fit_s = time.perf_counter() - started
    epochs_run = len(model.history)
    samples = int(np.isfinite(model.predict(train)).sum())
    shortest = next(n for n in range(1, len(frame)) if np.isfinite(model.predict(frame.iloc[:n])[-1]))
    single = []
    for _ in range(SINGLE_CALLS):
        started = time.perf_counter()
        model.predict(frame.iloc[:shortest])
        single.append(time.perf_counter() - started)
    started = time.perf_counter()
    model.predict(frame)
    batch_s = time.perf_counter() - started
    return {
        "family": family,
        "device": device,
        "precision": runtime.precision,
        "train_samples": samples,
        "epochs": epochs_run,
        "fit_s": round(fit_s, 3),
        "train_samples_per_s": round(samples * epochs_run / fit_s, 1),
        "single_latency_ms": round(1000 * statistics.median(single), 3),
        "batch_rows": len(frame),
        "batch_latency_ms": round(1000 * batch_s, 2),
        "batch_us_per_forecast": round(1e6 * batch_s / len(frame), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--families", default=",".join(families("deep_models")))
    parser.add_argument("--devices", default="cpu,cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "training_cpu.json")
    args = parser.parse_args(argv)
    frame = panel(args.years)
    print(
        f"{len(frame):,} feature rows; torch {torch.__version__}; cuda available: {torch.cuda.is_available()}"
    )
    rows = []
    for device in args.devices.split(","):
        measure(args.families.split(",")[0], device, frame, 1)  # warm-up: torch's first-use costs, discarded
        for family in args.families.split(","):
            row = measure(family, device, frame, args.epochs)
            rows.append(row)
            print(
                f"{family:<12}{device:<6}{row['precision']:<6} fit {row['fit_s']:>7.2f} s  "
                f"{row['train_samples_per_s']:>10,.0f} samples/s  single {row['single_latency_ms']:>8.2f} ms  "
                f"batch {row['batch_latency_ms']:>8.1f} ms ({row['batch_us_per_forecast']:.1f} us/forecast)",
                flush=True,
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "platform": platform.platform(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available():
        machine["gpu"] = torch.cuda.get_device_name(0)
    args.json.write_text(json.dumps({"parameters": vars(args) | {"json": str(args.json)}, "machine": machine,
                                     "results": rows}, indent=2) + "\n")  # fmt: skip
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
