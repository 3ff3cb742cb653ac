"""Benchmark the daily features: DuckDB SQL (build_daily_features) against plain pandas (compute_daily_features).

Both paths compute the same rows from the same synthetic bars; the script checks that they agree to 1e-9
(relative) and exits 1 if not. With ``--baseline REV`` it also times the feature query of git revision REV
(``sql/features/daily_features.sql`` as it was there) against today's on the same bars, the runs interleaved, so a
change to the SQL is measured against what it replaced in one run on one machine. Usage:

    python benchmarks/features.py [--symbols 500] [--years 20] [--seed 7] [--repeats 1] [--baseline REV] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features, daily_features_query
from forge_core.features.reference import compute_daily_features
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.partition_writes import replace_window_from_frame
from forge_core.warehouse.sql_files import read_sql

END_DATE = dt.date(2025, 12, 31)  # fixed, so a run does not depend on the day it is made
TOLERANCE = 1e-9  # largest relative difference allowed between the two paths
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "features.json"


@dataclass(frozen=True)
class Timing:
    path: str
    rows: int
    seconds: float  # median over the repeats
    runs: list[float]
    writes_table: bool

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True)
class Agreement:
    rows_sql: int
    rows_pandas: int
    same_columns: bool
    same_keys: bool
    nan_mismatches: int
    max_rel_diff: float  # |a - b| / max(|a|, |b|, median |column|): what TOLERANCE bounds
    worst_column: str | None
    max_pointwise_rel_diff: float  # |a - b| / max(|a|, |b|): blows up where cancellation leaves a ~0
    worst_pointwise_column: str | None

    @property
    def ok(self) -> bool:
        return (
            self.rows_sql == self.rows_pandas
            and self.same_columns
            and self.same_keys
            and self.nan_mismatches == 0
            and self.max_rel_diff <= TOLERANCE
        )


def log(message: str) -> None:
    print(message, flush=True)


def timed(label: str, fn: Callable[[], object]) -> tuple[float, object]:
    log(f"  {label} ...")
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    log(f"  {label}: {seconds:.2f} s")
    return seconds, result


def span(years: int) -> tuple[dt.date, dt.date]:
    """First day (the Monday on or before END_DATE less ``years`` years) and last day of the benchmark."""
    start = END_DATE.replace(year=END_DATE.year - years)
    return start - dt.timedelta(days=start.weekday()), END_DATE


def machine_info(conn: duckdb.DuckDBPyConnection) -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "duckdb_threads": int(conn.execute("SELECT current_setting('threads')").fetchone()[0]),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def time_sql(conn: duckdb.DuckDBPyConnection, window: DateWindow, repeats: int) -> Timing:
    """build_daily_features over the whole window, into an empty daily_features table each time."""
    runs, rows = [], 0
    for i in range(repeats):
        conn.execute("DROP TABLE IF EXISTS daily_features")
        conn.execute(read_sql("tables/daily_features.sql"))
        conn.execute("CHECKPOINT")
        seconds, rows = timed(f"sql run {i + 1}/{repeats}", lambda: build_daily_features(conn, window))
        runs.append(seconds)
    return Timing("sql (DuckDB, writes daily_features)", int(rows), statistics.median(runs), runs, True)


def time_sql_query(conn: duckdb.DuckDBPyConnection, window: DateWindow, repeats: int) -> Timing:
    """The feature query alone, fetched into an in-memory Arrow table: like for like with the pandas path."""
    sql, params = daily_features_query(conn)
    runs, rows = [], 0
    for i in range(repeats):
        seconds, result = timed(
            f"sql query run {i + 1}/{repeats}",
            lambda: conn.execute(sql, {**params, **window.params()}).to_arrow_table(),
        )
        rows = result.num_rows
        runs.append(seconds)
    return Timing("sql query only (in memory, no write)", int(rows), statistics.median(runs), runs, False)


def time_against_baseline(
    conn: duckdb.DuckDBPyConnection, window: DateWindow, repeats: int, revision: str
) -> tuple[Timing, Timing]:
    """The feature query of ``revision`` and today's, fetched into Arrow tables, alternating run by run."""
    sql, params = daily_features_query(conn)
    old_sql = subprocess.run(
        ["git", "show", f"{revision}:sql/features/daily_features.sql"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    runs: dict[str, list[float]] = {"baseline": [], "current": []}
    rows: dict[str, int] = {}
    for i in range(repeats):
        for name, query in (("baseline", old_sql), ("current", sql)):
            used = {k: v for k, v in {**params, **window.params()}.items() if f"${k}" in query}
            seconds, result = timed(
                f"{name} query run {i + 1}/{repeats}",
                lambda q=query, u=used: conn.execute(q, u).to_arrow_table(),
            )
            runs[name].append(seconds)
            rows[name] = result.num_rows
    baseline, current = (
        Timing(f"sql query at {label}", rows[name], statistics.median(runs[name]), runs[name], False)
        for name, label in (("baseline", revision), ("current", "the working tree"))
    )
    return baseline, current


def time_pandas(bars: pd.DataFrame, repeats: int) -> tuple[Timing, pd.DataFrame]:
    """compute_daily_features on the in-memory bars; the result is not written anywhere."""
    runs, features = [], pd.DataFrame()
    for i in range(repeats):
        seconds, features = timed(f"pandas run {i + 1}/{repeats}", lambda: compute_daily_features(bars))
        runs.append(seconds)
    timing = Timing("pandas (in memory, no write)", len(features), statistics.median(runs), runs, False)
    return timing, features


def compare(sql: pd.DataFrame, ref: pd.DataFrame) -> Agreement:
    """Row count, columns, (symbol, date) keys, NaN pattern and largest relative difference of the values.

    A value's difference is taken relative to max(|a|, |b|, median |column|): a value that cancellation leaves
    near zero (a volume_z of 1e-6: log-volume ~14 minus its mean) carries the absolute rounding error of the
    column's ordinary values, so relative to itself alone it would differ by ~1e-9 in two correct computations.
    """
    same_columns = set(sql.columns) == set(ref.columns)
    nan = float("nan")
    agreement = Agreement(len(sql), len(ref), same_columns, False, 0, nan, None, nan, None)
    if not same_columns or len(sql) != len(ref):
        return agreement
    sql = sql.sort_values(["symbol", "date"]).reset_index(drop=True)
    ref = ref.sort_values(["symbol", "date"]).reset_index(drop=True)[list(sql.columns)]
    same_keys = bool(
        (sql["symbol"] == ref["symbol"]).all()
        and (sql["date"].astype("datetime64[ns]") == ref["date"].astype("datetime64[ns]")).all()
    )
    nan_mismatches = 0
    worst: dict[str, tuple[float, str | None]] = {"scaled": (0.0, None), "pointwise": (0.0, None)}
    for column in sql.columns.drop(["symbol", "date"]):
        a, b = sql[column].to_numpy(float), ref[column].to_numpy(float)
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        nan_mismatches += int((nan_a != nan_b).sum())
        both = ~nan_a & ~nan_b
        if not both.any():
            continue
        a, b = a[both], b[both]
        diff = np.where(a == b, 0.0, np.abs(a - b))
        magnitude = np.maximum(np.abs(a), np.abs(b))
        for kind, scale in (
            ("scaled", np.maximum(magnitude, np.median(magnitude))),
            ("pointwise", magnitude),
        ):
            largest = float(np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0).max())
            if largest > worst[kind][0]:
                worst[kind] = (largest, column)
    return Agreement(
        len(sql), len(ref), same_columns, same_keys, nan_mismatches, *worst["scaled"], *worst["pointwise"]
    )


def table(timings: list[Timing], ratio: float) -> str:
    lines = [f"{'path':<38}{'rows':>12}{'seconds':>10}{'rows/s':>14}"]
    lines += [f"{t.path:<38}{t.rows:>12,}{t.seconds:>10.2f}{t.rows_per_s:>14,.0f}" for t in timings]
    lines.append(f"ratio sql_rows_per_s / pandas_rows_per_s = {ratio:.2f}")
    return "\n".join(lines)


def write_json(path: Path, payload: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(payload, indent=2) + "\n")
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--baseline", help="a git revision whose feature SQL to time against today's")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.symbols < 1 or args.years < 1 or args.repeats < 1:
        parser.error("--symbols, --years and --repeats must be >= 1")
    start, end = span(args.years)
    window = DateWindow(start, end + dt.timedelta(days=1))

    log(f"[1/4] generating {args.symbols} synthetic symbols (+ ^VIX), {start} to {end}, seed {args.seed}")
    source = SyntheticSource(args.symbols, seed=args.seed, start=start, today=end)
    _, bars = timed("generate", lambda: source.load(start, end))
    log(f"  {len(bars):,} bars")

    with (
        tempfile.TemporaryDirectory(prefix="forge-bench-") as tmp,
        open_warehouse(Path(tmp) / "bench.duckdb") as conn,
    ):
        log("[2/4] loading raw_prices into a fresh DuckDB file (not timed)")
        timed("load", lambda: replace_window_from_frame(conn, "raw_prices", "date", window, bars))
        conn.execute("CHECKPOINT")
        log(f"[3/4] timing both paths, {args.repeats} run(s) each")
        sql = time_sql(conn, window, args.repeats)
        sql_query = time_sql_query(conn, window, args.repeats)
        against = time_against_baseline(conn, window, args.repeats, args.baseline) if args.baseline else ()
        pandas_timing, reference = time_pandas(bars, args.repeats)
        log("[4/4] comparing the two results")
        agreement = compare(conn.execute("SELECT * FROM daily_features").df(), reference)
        machine = machine_info(conn)

    ratio = sql.rows_per_s / pandas_timing.rows_per_s
    query_ratio = sql_query.rows_per_s / pandas_timing.rows_per_s
    log("")
    log(table([sql, sql_query, pandas_timing], ratio))
    log(f"ratio sql_query_only_rows_per_s / pandas_rows_per_s = {query_ratio:.2f}")
    if against:
        baseline, current = against
        log(table([baseline, current], current.rows_per_s / pandas_timing.rows_per_s))
        log(
            f"cost of the working tree's query relative to {args.baseline}: {current.seconds / baseline.seconds:.3f}x"
        )
    log("(the first sql time includes inserting into daily_features; the other two write nothing)")
    verdict = "AGREE" if agreement.ok else "DISAGREE"
    log(
        f"agreement: {verdict}: rows {agreement.rows_sql:,} vs {agreement.rows_pandas:,}, "
        f"same columns {agreement.same_columns}, same (symbol, date) keys {agreement.same_keys}, "
        f"NaN mismatches {agreement.nan_mismatches}, max relative difference {agreement.max_rel_diff:.3g}"
        f" (column {agreement.worst_column}, tolerance {TOLERANCE:g}; relative to max(|a|, |b|, median |column|))"
    )
    log(
        f"  for information, relative to max(|a|, |b|) alone: {agreement.max_pointwise_rel_diff:.3g}"
        f" (column {agreement.worst_pointwise_column}; large only where a value is ~0 by cancellation)"
    )
    log("machine: " + ", ".join(f"{key} {value}" for key, value in machine.items()))

    write_json(
        args.out,
        {
            "benchmark": "daily_features",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "parameters": {**vars(args), "out": str(args.out), "start": str(start), "end": str(end)},
            "bars": len(bars),
            "results": [{**asdict(t), "rows_per_s": t.rows_per_s} for t in (sql, sql_query, pandas_timing)],
            "against_baseline": [{**asdict(t), "rows_per_s": t.rows_per_s} for t in against],
            "cost_relative_to_baseline": against[1].seconds / against[0].seconds if against else None,
            "ratio_sql_rows_per_s_to_pandas": ratio,
            "ratio_sql_query_only_rows_per_s_to_pandas": query_ratio,
            "agreement": {**asdict(agreement), "ok": agreement.ok, "tolerance": TOLERANCE},
            "machine": machine,
        },
    )
    log(f"wrote {args.out}")
    return 0 if agreement.ok else 1


if __name__ == "__main__":
    sys.exit(main())
