"""Benchmark validating and ingesting a large CSV file: the Arrow + vectorised path against the pandas one it replaced.

A seeded ~50 MB CSV of ~765,000 rows (symbols x business days, one row per symbol and day, written day by day) is
generated in a temporary folder. Each path then runs in a fresh Python process, which imports the libraries,
loads the folder with its FileSource (read + validate, the whole span) and ingests the bars into a fresh DuckDB
warehouse (``open_warehouse`` + ``replace_window_from_frame(conn, "raw_prices", "date", window, bars)``). Each
process reports its wall seconds for validate and ingest (imports not counted, reported apart) and its peak RSS
(``ru_maxrss``, which does include the imported libraries; their RSS after import is reported beside it).

The baseline is the code as it was: ``forge_core/data/{schema,validation,files}.py`` at ``--baseline-rev``
(default 085a9ea, the last commit before this change), taken with ``git show`` into a temporary package whose
imports point at itself, so it runs unchanged beside the current code; the warehouse code is the current one
for both. The script checks that both paths give the same bars (a hash of the canonical frame).

With ``--defects`` (the default) it also times a copy of the file with a few defective rows (unparsable
numbers, negative volume, an implausible 1e308 close) to show the time to a MarketDataError.

    python benchmarks/validation.py [--symbols 300] [--days 2550] [--seed 7] [--repeats 3] [--no-baseline]
        [--no-defects] [--baseline-rev REV] [--out benchmarks/results/validation.json]

The new path runs ``--repeats`` times per file (the median time and the largest peak RSS are reported), the
baseline once (it takes half a minute); the 1-minute load average is recorded beside every run, as the
machine may be shared. Results: the JSON at ``--out`` and a text table beside it (``validation.txt``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bookkeeping import rss_mib  # noqa: E402

DEFAULT_OUT = REPO / "benchmarks" / "results" / "validation.json"
BASELINE_REV = "085a9ea"
BASELINE_FILES = ("schema", "validation", "files")
FIRST_DAY = dt.date(2010, 1, 4)
TARGET_SECONDS = 5.0
TARGET_RSS_MB = 500.0


def log(message: str) -> None:
    print(message, flush=True)


def write_csv(path: Path, symbols: int, days: int, seed: int) -> int:
    """Seeded OHLCV of ``symbols`` random walks over ``days`` business days, day by day; returns the rows."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(FIRST_DAY, periods=days)
    shape = (days, symbols)
    log_close = np.log(rng.lognormal(3.5, 1.0, symbols)) + np.cumsum(rng.normal(0, 0.015, shape), axis=0)
    close = np.exp(log_close)
    previous = np.vstack([close[:1], close[:-1]])
    open_ = previous * np.exp(rng.normal(0, 0.004, shape))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, shape)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, shape)))
    adj_close = close * rng.uniform(0.9, 1.0, symbols)
    volume = np.round(rng.lognormal(13.5, 0.6, shape))
    names = np.array([f"S{i:04d}" for i in range(symbols)])
    frame = pd.DataFrame(
        {
            "symbol": np.tile(names, days),
            "date": np.repeat(dates.strftime("%Y-%m-%d"), symbols),
            "open": open_.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "adj_close": adj_close.ravel(),
            "volume": volume.ravel().astype(np.int64),
        }
    )
    frame.to_csv(path, index=False, float_format="%.4f")
    return len(frame)


def write_defective_copy(source: Path, target: Path) -> list[str]:
    """The same file with a few rows broken in place; returns what was broken."""
    lines = source.read_text().splitlines(keepends=True)
    broken = {
        1000: (2, "1O.5", "unparsable open"),
        200_000: (7, "-5", "negative volume"),
        400_000: (5, "1e308", "close of 1e308 (a log return of ~700)"),
        600_000: (1, "2019-02-30", "unparsable date"),
    }
    described = []
    for line_number, (field, value, what) in broken.items():
        cells = lines[line_number - 1].rstrip("\n").split(",")
        cells[field] = value
        if what.startswith("close"):
            cells[2] = cells[3] = "1e308"  # open and high too, so only plausibility objects
        lines[line_number - 1] = ",".join(cells) + "\n"
        described.append(f"line {line_number}: {what}")
    target.write_text("".join(lines))
    return described


def place_baseline(rev: str, folder: Path) -> Path:
    """The data modules at ``rev`` as the package ``vf_baseline`` under ``folder``."""
    package = folder / "vf_baseline"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in BASELINE_FILES:
        source = subprocess.run(
            ["git", "show", f"{rev}:forge_core/data/{name}.py"],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        source = re.sub(r"\bforge_core\.data\.(schema|validation)\b", r"vf_baseline.\1", source)
        (package / f"{name}.py").write_text(source)
    return folder


def child(args: argparse.Namespace) -> None:
    """Run one path in this (fresh) process and print its measurements as one JSON line."""
    started = time.perf_counter()
    if args.child == "baseline":
        sys.path.insert(0, args.baseline_dir)
        from vf_baseline.files import FileSource  # type: ignore[import-not-found]
        from vf_baseline.schema import MarketDataError  # type: ignore[import-not-found]
    else:
        from forge_core.data.files import FileSource
        from forge_core.data.schema import MarketDataError
    from forge_core.date_window import DateWindow
    from forge_core.warehouse.connection import open_warehouse
    from forge_core.warehouse.partition_writes import replace_window_from_frame

    imported = time.perf_counter()
    result: dict[str, Any] = {
        "path": args.child,
        "import_s": imported - started,
        "rss_after_imports_mb": rss_mib(),
    }
    try:
        bars = FileSource(args.folder).load(dt.date(1900, 1, 1), dt.date(2100, 1, 1))
    except MarketDataError as error:
        result.update(
            validate_s=time.perf_counter() - imported, outcome="MarketDataError", problems=len(error.problems)
        )
        result["problem_list"] = [p.describe() for p in error.problems]
    else:
        validated = time.perf_counter()
        first, last = bars["date"].min().date(), bars["date"].max().date()
        window = DateWindow(first, last + dt.timedelta(days=1))
        with open_warehouse(Path(args.warehouse)) as conn:
            written = replace_window_from_frame(conn, "raw_prices", "date", window, bars)
        done = time.perf_counter()
        result.update(
            validate_s=validated - imported,
            ingest_s=done - validated,
            total_s=done - imported,
            outcome="ok",
            rows=len(bars),
            rows_written=written,
            bars_hash=int(pd.util.hash_pandas_object(bars, index=False).sum()),
        )
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


def run_child(path: str, folder: Path, work: Path, baseline_dir: Path | None) -> dict[str, Any]:
    warehouse = work / f"warehouse_{path}_{time.monotonic_ns()}.duckdb"
    command = [
        sys.executable,
        __file__,
        "--child",
        path,
        "--folder",
        str(folder),
        "--warehouse",
        str(warehouse),
    ]
    if baseline_dir is not None:
        command += ["--baseline-dir", str(baseline_dir)]
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if finished.returncode != 0:
        raise SystemExit(f"{path} failed:\n{finished.stdout}\n{finished.stderr}")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    return result


def versions() -> dict[str, str]:
    import duckdb
    import pyarrow

    return {
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "pyarrow": pyarrow.__version__,
        "duckdb": duckdb.__version__,
    }


def table(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'case':<10} {'path':<9} {'run':>3} {'load':>5} {'outcome':<11} {'validate_s':>10} {'ingest_s':>9} "
        f"{'total_s':>8} {'peak_rss_mb':>11} {'rss_imports_mb':>14} {'import_s':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        ingest = f"{r['ingest_s']:.2f}" if "ingest_s" in r else "-"
        total = f"{r['total_s']:.2f}" if "total_s" in r else f"{r['validate_s']:.2f}"
        outcome = r["outcome"] if r["outcome"] == "ok" else f"{r['problems']} problems"
        lines.append(
            f"{r['case']:<10} {r['path']:<9} {r['run']:>3} {r['load_average_1min']:>5.1f} {outcome:<11} "
            f"{r['validate_s']:>10.2f} {ingest:>9} {total:>8} {r['peak_rss_mb']:>11.0f} "
            f"{r['rss_after_imports_mb']:>14.0f} {r['import_s']:>8.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--days", type=int, default=2550)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of the new path per file (median reported)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="time the new path only")
    parser.add_argument("--no-defects", action="store_true", help="skip the file with defective rows")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", choices=["new", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--baseline-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory(prefix="vf_validation_bench_") as temp:
        work = Path(temp)
        clean, defective = work / "clean", work / "defective"
        clean.mkdir()
        defective.mkdir()
        log(f"writing {args.symbols} symbols x {args.days} days ...")
        rows = write_csv(clean / "prices.csv", args.symbols, args.days, args.seed)
        size_mb = (clean / "prices.csv").stat().st_size / 1e6
        log(f"{rows} rows, {size_mb:.1f} MB")
        cases = [("clean", clean)]
        defects: list[str] = []
        if not args.no_defects:
            defects = write_defective_copy(clean / "prices.csv", defective / "prices.csv")
            cases.append(("defective", defective))
        baseline_dir = None if args.no_baseline else place_baseline(args.baseline_rev, work / "baseline")
        paths = ["new"] if baseline_dir is None else ["new", "baseline"]
        results = []
        for case, folder in cases:
            for path in paths:
                runs = args.repeats if path == "new" else 1  # the baseline takes half a minute a run
                for run in range(1, runs + 1):
                    log(f"{case}: {path} path, run {run}/{runs}, load average {os.getloadavg()[0]:.1f} ...")
                    result = run_child(path, folder, work, baseline_dir if path == "baseline" else None)
                    results.append(
                        {"case": case, "run": run, "load_average_1min": os.getloadavg()[0], **result}
                    )
                    log(f"  {json.dumps(result)}")

    new_runs = [r for r in results if r["case"] == "clean" and r["path"] == "new"]
    new = {
        "total_s": statistics.median(r["total_s"] for r in new_runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in new_runs),
        "bars_hash": new_runs[0]["bars_hash"],
        "rows": new_runs[0]["rows"],
    }
    same_problems = None
    found = {r["path"]: r.get("problem_list") for r in results if r["case"] == "defective"}
    if found.get("baseline") is not None and found.get("new") is not None:
        # the new path adds the plausibility problems (the 1e308 row); every other problem must be the same
        besides = [p for p in found["new"] if "plausible range" not in p and "log return" not in p]
        same_problems = besides == found["baseline"]
    base = next((r for r in results if r["case"] == "clean" and r["path"] == "baseline"), None)
    summary: dict[str, Any] = {
        "new_runs": len(new_runs),
        "new_total_s_median": new["total_s"],
        "new_total_s_runs": [r["total_s"] for r in new_runs],
        "new_peak_rss_mb_max": new["peak_rss_mb"],
        "seconds_target_met": new["total_s"] <= TARGET_SECONDS,
        "rss_target_met": new["peak_rss_mb"] <= TARGET_RSS_MB,
    }
    if base is not None:
        summary.update(
            same_bars=base["bars_hash"] == new["bars_hash"] and base["rows"] == new["rows"],
            speedup=base["total_s"] / new["total_s"],
            rss_ratio=base["peak_rss_mb"] / new["peak_rss_mb"],
            same_problems_besides_plausibility=same_problems,
        )
    report = {
        "file": {
            "rows": rows,
            "symbols": args.symbols,
            "days": args.days,
            "seed": args.seed,
            "size_mb": size_mb,
        },
        "defects": defects,
        "baseline_rev": None if baseline_dir is None else args.baseline_rev,
        "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_RSS_MB},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), **versions()},
        "results": results,
        "summary": summary,
    }
    lines = [
        f"{rows} rows, {size_mb:.1f} MB ({args.symbols} symbols x {args.days} days, seed {args.seed}); "
        f"{os.cpu_count()} CPUs; {', '.join(f'{k} {v}' for k, v in versions().items())}",
        "",
        table(results),
        "",
        f"new path, clean file: {new['total_s']:.2f} s (median of {len(new_runs)}; target <= {TARGET_SECONDS:g} s: "
        f"{'met' if summary['seconds_target_met'] else 'NOT met'}), peak RSS {new['peak_rss_mb']:.0f} MB (max) "
        f"(target <= {TARGET_RSS_MB:g} MB: {'met' if summary['rss_target_met'] else 'NOT met'})",
    ]
    if base is not None:
        lines.append(
            f"baseline ({args.baseline_rev}): {base['total_s']:.2f} s, {base['peak_rss_mb']:.0f} MB; new path "
            f"{summary['speedup']:.1f}x faster, {summary['rss_ratio']:.1f}x less memory; same bars: "
            f"{summary['same_bars']}; same problems besides plausibility: {same_problems}"
        )
    log("")
    log("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    log(f"wrote {args.out}")
    if base is not None and not (summary["same_bars"] and same_problems in (True, None)):
        raise SystemExit("the two paths disagree")


if __name__ == "__main__":
    main()
