"""Walk-forward accuracy of the models, without the UI: the same purged refits and report as the Dagster assets.

    python benchmarks/accuracy.py --source bundled --symbols ^GSPC,^IXIC --test-start 2010-01-01 \
        --test-end 2018-12-31 --refit monthly --proxy parkinson --json benchmarks/results/accuracy.json

Builds the market tables in an in-memory DuckDB from the source, walks every model over the test windows (one
model per symbol and window, trained only on targets realised before the window), scores all models on the same
days (forge_core.backtest.report) and prints one table per target, the wall time, and optionally writes JSON:
{"results": {symbol: {target: {model: metrics}}}, "parameters": ..., "wall_seconds": ...}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from forge_core.backtest.report import BacktestReport, evaluate_backtest
from forge_core.compute import make_runtime
from forge_core.data.schema import VIX_SYMBOLS
from forge_core.data.sources import SOURCE_KINDS, make_source
from forge_core.date_window import monthly_windows, yearly_windows
from forge_core.features.daily import PROXIES
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.models import MODEL_REGISTRY
from forge_core.pipeline import build_market_tables
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

TABLE_COLUMNS = ["model", "n", "qlike", "qlike_ratio", "mse_ratio", "dm_p_vs_har", "dm_p_vs_log_har", "in_mcs",
                 "reducible_qlike", "coverage_80%", "coverage_90%"]  # fmt: skip
HISTORY_START = dt.date(1990, 1, 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", default="bundled", help="bundled | files:PATH | synthetic")
    parser.add_argument(
        "--symbols", default="", help="comma-separated symbols (default: every traded symbol)"
    )
    parser.add_argument("--synthetic-symbols", type=int, default=3)
    parser.add_argument("--test-start", type=dt.date.fromisoformat, default=dt.date(2010, 1, 1))
    parser.add_argument("--test-end", type=dt.date.fromisoformat, default=dt.date(2018, 12, 31))
    parser.add_argument("--refit", choices=("monthly", "yearly"), default="monthly")
    parser.add_argument("--scheme", choices=("expanding", "rolling"), default="expanding")
    parser.add_argument("--proxy", choices=PROXIES, default="parkinson")
    parser.add_argument("--horizons", default="1,5,22", help="comma-separated target horizons in days")
    parser.add_argument("--models", default=",".join(MODEL_REGISTRY), help="comma-separated model families")
    parser.add_argument(
        "--device", default="", help="torch device for the nets (default: cuda if present, else cpu)"
    )
    parser.add_argument("--json", type=Path, help="write the metrics here")
    args = parser.parse_args(argv)
    kind = args.source.split(":", 1)[0]
    if kind not in SOURCE_KINDS:
        parser.error(f"--source must be one of bundled, files:PATH, synthetic; got {args.source!r}")
    unknown = set(args.models.split(",")) - set(MODEL_REGISTRY)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; known: {sorted(MODEL_REGISTRY)}")
    return args


def load_bars(args: argparse.Namespace) -> pd.DataFrame:
    """Every bar of the source up to the test end, restricted to --symbols (VIX kept for the features)."""
    kind, _, path = args.source.partition(":")
    source = make_source(kind, files_path=path or None, synthetic_symbols=args.synthetic_symbols)
    bars = source.load(HISTORY_START, args.test_end)
    if args.symbols:
        wanted = set(args.symbols.split(",")) | VIX_SYMBOLS
        missing = set(args.symbols.split(",")) - set(bars["symbol"])
        if missing:
            raise SystemExit(f"symbols not in the source: {sorted(missing)}")
        bars = bars[bars["symbol"].isin(wanted)].reset_index(drop=True)
    return bars


def backtest(args: argparse.Namespace) -> tuple[BacktestReport, pd.DataFrame]:
    """Walk every model over the test windows for every target; score all of them on the same days."""
    specs = tuple(TargetSpec(f"rv_{h}d", int(h), args.proxy) for h in args.horizons.split(","))
    windows = (monthly_windows if args.refit == "monthly" else yearly_windows)(args.test_start, args.test_end)
    scheme = TrainingScheme(args.scheme)
    runtime = make_runtime(args.device)
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, load_bars(args), specs)
    scored = []
    for spec in specs:
        panel = load_panel(conn, spec, args.test_end + dt.timedelta(days=1))
        truth = panel[["symbol", "date", "target_value"]].rename(columns={"target_value": "realised"})
        for family in args.models.split(","):
            started = time.perf_counter()
            results = walk_forward(panel, spec, family, windows, scheme, runtime=runtime)
            label = f"{spec.name} {family}"
            frames = [
                r.forecasts for r in tqdm(results, total=len(windows), desc=label, leave=False, disable=None)
            ]
            print(f"  {label}: {len(windows)} windows in {time.perf_counter() - started:.2f} s", flush=True)
            forecasts = pd.concat(frames, ignore_index=True).merge(truth, on=["symbol", "date"])
            scored.append(forecasts.assign(horizon=spec.horizon, proxy=spec.proxy))
    realised = pd.concat(scored, ignore_index=True)
    in_test = realised["date"].between(pd.Timestamp(args.test_start), pd.Timestamp(args.test_end))
    realised = realised[in_test & realised["realised"].notna()]
    return evaluate_backtest(realised), realised


def as_json(report: BacktestReport) -> dict[str, dict[str, dict[str, dict[str, object]]]]:
    out: dict[str, dict[str, dict[str, dict[str, object]]]] = {}
    for row in report.overall.to_dict("records"):
        metrics = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        symbol, target, model = metrics.pop("symbol"), metrics.pop("target"), metrics.pop("model")
        out.setdefault(symbol, {}).setdefault(target, {})[model] = metrics
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    report, realised = backtest(args)
    wall = time.perf_counter() - started
    for (symbol, target), rows in report.overall.groupby(["symbol", "target"], sort=True):
        print(f"\n{symbol} {target} (proxy {args.proxy}, {args.refit} {args.scheme} refits, "
              f"{args.test_start} .. {args.test_end}, noise floor {rows['noise_floor'].iloc[0]:.4f})")  # fmt: skip
        print(
            rows.sort_values("qlike")[TABLE_COLUMNS].to_string(index=False, float_format=lambda v: f"{v:.4g}")
        )
    print(f"\nwall time: {wall:.1f} s for {len(realised):,} scored forecasts")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "parameters": {k: str(v) for k, v in vars(args).items()},
            "wall_seconds": round(wall, 2),
            "results": as_json(report),
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
