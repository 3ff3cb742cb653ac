"""Walk-forward accuracy of the models, without the UI: the same purged refits and report as the Dagster assets.

    python benchmarks/accuracy.py --source bundled --symbols ^GSPC,^IXIC --test-start 2010-01-01 \
        --test-end 2018-12-31 --refit monthly --proxy parkinson --json benchmarks/results/accuracy.json

Builds the market tables in an in-memory DuckDB from the source, walks every model over the test windows (one
model per symbol and window, trained only on targets realised before the window), scores all models on the same
days (forge_core.backtest.report) and prints one table per target, the wall time, and optionally writes JSON:
{"results": {symbol: {target: {model: metrics}}}, "parameters": ..., "wall_seconds": ...}.

``--models`` may name ensembles beside the families (``ensemble_<combiner>``, e.g. ``ensemble_stacking``); an
ensemble's members are the families listed. Ensembles and conformal intervals learn from the members' forecasts
before the test period, so with ensembles the members are walked (and the ensembles combined) from
``--warmup-years`` before ``--test-start`` (scores still cover the test period only). Every model (ensembles
included) gets conformal intervals by every method; their coverage, mean log width and Winkler score join its
metrics (``coverage_90%_pid``, ...), with the worst calendar year's coverage (``worst_year_coverage_90%_pid``).
Ensembles also get the DM p-value against the best single model (``dm_p_vs_best_single``).

``--members-cache DIR`` keeps each member's walked forecasts (and the seconds the walk took) in DIR, keyed by the
run's data, windows and settings and by the code the members depend on (every ``forge_core`` module but the
ensembles, intervals and report): a later run with other ensembles or interval settings skips the walk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from forge_core.backtest.interval_report import (
    IntervalReport,
    band_coherence,
    evaluate_intervals,
    point_scores,
)
from forge_core.backtest.report import BacktestReport, evaluate_backtest
from forge_core.compute import make_runtime
from forge_core.data.schema import VIX_SYMBOLS
from forge_core.data.sources import SOURCE_KINDS, make_source
from forge_core.date_window import DateWindow, monthly_windows, yearly_windows
from forge_core.ensembles.combiner_registry import COMBINER_REGISTRY, create_combiner
from forge_core.ensembles.ensemble_windows import CONTEXT_COLUMNS, ENSEMBLE_PREFIX, combine_windows
from forge_core.evaluation import qlike
from forge_core.evaluation.diebold_mariano import diebold_mariano
from forge_core.features.daily import PROXIES
from forge_core.forecasting.forecast_store import load_features_with_regime
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.intervals.interval_methods import DEFAULT_METHOD
from forge_core.intervals.window_intervals import window_intervals
from forge_core.market_tables import build_market_tables
from forge_core.models import MODEL_REGISTRY
from forge_core.quantiles import central_bands
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

TABLE_COLUMNS = ["model", "n", "qlike", "qlike_ratio", "mse_ratio", "dm_p_vs_har", "dm_p_vs_log_har", "in_mcs",
                 "reducible_qlike", "coverage_80%", "coverage_90%"]  # fmt: skip
HISTORY_START = dt.date(1990, 1, 1)
T = TypeVar("T")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Relative cost of a combiner on the recorded backtest: the costliest are started first on the workers.
COMBINE_COST = {"meta": 5, "regime": 4, "best_recent": 4, "stacking": 2, "online": 1}
# forge_core packages the members' forecasts do not depend on (left out of the members cache key)
NOT_MEMBER_CODE = ("ensembles", "intervals", "backtest")


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
    parser.add_argument(
        "--models",
        default=",".join(MODEL_REGISTRY),
        help="comma-separated model families and ensembles (ensemble_<combiner>)",
    )
    parser.add_argument(
        "--warmup-years",
        type=int,
        default=2,
        help="years of member forecasts before the test, for the ensembles",
    )
    parser.add_argument(
        "--device", default="", help="torch device for the nets (default: cuda if present, else cpu)"
    )
    parser.add_argument("--json", type=Path, help="write the metrics here")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes combining and calibrating (default: one per core)",
    )
    parser.add_argument(
        "--members-cache", type=Path, help="keep the members' walked forecasts here and reuse them"
    )
    args = parser.parse_args(argv)
    kind = args.source.split(":", 1)[0]
    if kind not in SOURCE_KINDS:
        parser.error(f"--source must be one of bundled, files:PATH, synthetic; got {args.source!r}")
    known = {*MODEL_REGISTRY, *(f"{ENSEMBLE_PREFIX}{name}" for name in COMBINER_REGISTRY)}
    unknown = set(args.models.split(",")) - known
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; known: {sorted(known)}")
    return args


def split_models(models: str) -> tuple[list[str], list[str]]:
    """(families, combiner names) of a --models list."""
    names = models.split(",")
    return [n for n in names if n in MODEL_REGISTRY], [
        n.removeprefix(ENSEMBLE_PREFIX) for n in names if n.startswith(ENSEMBLE_PREFIX)
    ]


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


@dataclass
class Timings:
    """Seconds spent walking the members, combining them and calibrating the intervals."""

    members: float = 0.0
    combining: float = 0.0
    calibrating: float = 0.0


@dataclass(frozen=True)
class Bands:
    """The interval scores (``report``), with the models' own quantile bands as method ``OWN_QUANTILES``, the
    coherence of every conformal series as produced, and the raw and published points' QLIKE."""

    report: IntervalReport
    coherence: pd.DataFrame
    points: pd.DataFrame


OWN_QUANTILES = "model_quantiles"


def own_bands(rows: pd.DataFrame) -> pd.DataFrame:
    """The models' own central bands from their stored quantiles (q10-q90, q05-q95) as ``intervals`` rows."""
    return pd.concat(
        [
            rows[["symbol", "date", "target", "model"]].assign(
                method=OWN_QUANTILES, level=nominal, lower=rows[low], upper=rows[high]
            )
            for low, high, nominal in central_bands().values()
        ],
        ignore_index=True,
    )


def backtest(args: argparse.Namespace) -> tuple[BacktestReport, Bands, pd.DataFrame, Timings]:
    """Walk every family over the test windows for every target, combine them into the ensembles, calibrate every
    model's intervals; score all of them on the same days."""
    specs = tuple(TargetSpec(f"rv_{h}d", int(h), args.proxy) for h in args.horizons.split(","))
    make_windows = monthly_windows if args.refit == "monthly" else yearly_windows
    families, combiners = split_models(args.models)
    first = (
        args.test_start.replace(year=args.test_start.year - args.warmup_years)
        if combiners
        else args.test_start
    )
    timings = Timings()
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, load_bars(args), specs)
    context = load_features_with_regime(conn, CONTEXT_COLUMNS, args.test_end + dt.timedelta(days=1))
    member_windows = make_windows(first, args.test_end)
    histories = {spec: walk_members(args, conn, spec, families, member_windows, timings) for spec in specs}
    with worker_pool(
        args.jobs
    ) as pool:  # ensembles over the members' windows too: their intervals need history
        every, intervals = combine_and_calibrate(
            pool, histories, combiners, member_windows, families, context, timings
        )
    scored = [every[s].assign(target=s.name, horizon=s.horizon, proxy=s.proxy) for s in specs]
    realised = pd.concat(scored, ignore_index=True)
    in_test = realised["date"].between(pd.Timestamp(args.test_start), pd.Timestamp(args.test_end))
    realised = realised[in_test & realised["realised"].notna()]
    truth = realised[["symbol", "date", "target", "realised"]].drop_duplicates(["symbol", "date", "target"])
    conformal = pd.concat(intervals, ignore_index=True)
    in_test = pd.to_datetime(conformal["date"]).between(
        pd.Timestamp(args.test_start), pd.Timestamp(args.test_end)
    )
    bands = Bands(
        evaluate_intervals(pd.concat([conformal, own_bands(realised)], ignore_index=True), truth),
        band_coherence(conformal[in_test]),
        point_scores(conformal, realised, DEFAULT_METHOD),
    )
    return evaluate_backtest(realised), bands, realised, timings


def combine_and_calibrate(
    pool: Executor,
    histories: dict[TargetSpec, pd.DataFrame],
    combiners: list[str],
    windows: list[DateWindow],
    families: list[str],
    context: pd.DataFrame,
    timings: Timings,
) -> tuple[dict[TargetSpec, pd.DataFrame], list[pd.DataFrame]]:
    """Every target's ensembles and every model's intervals on ``pool``: the costliest combiners first, the
    members' intervals beside them, each ensemble's intervals as soon as it is combined. ``timings`` gets the
    wall time until the last ensemble (``combining``) and until the last interval (``calibrating``), both from the
    same start."""
    started = time.perf_counter()
    combining = {
        pool.submit(ensemble_rows, histories[spec], name, spec, windows, families, context): spec
        for name in sorted(combiners, key=lambda n: COMBINE_COST.get(n, 0), reverse=True)
        for spec in histories
    }
    calibrating = [
        pool.submit(window_intervals, rows, spec.name, spec.horizon, windows)
        for spec, history in histories.items()
        for _, rows in history.groupby("model")
    ]
    combined: dict[TargetSpec, list[pd.DataFrame]] = {spec: [] for spec in histories}
    for future in as_completed(combining):
        spec, rows = combining[future], future.result()
        combined[spec].append(rows)
        calibrating.append(pool.submit(window_intervals, rows, spec.name, spec.horizon, windows))
    timings.combining = time.perf_counter() - started
    intervals = [future.result() for future in calibrating]
    timings.calibrating = time.perf_counter() - started
    every = {spec: pd.concat([histories[spec], *combined[spec]], ignore_index=True) for spec in histories}
    return every, intervals


def walk_members(
    args: argparse.Namespace,
    conn: duckdb.DuckDBPyConnection,
    spec: TargetSpec,
    families: list[str],
    windows: list[DateWindow],
    timings: Timings,
) -> pd.DataFrame:
    """Every family's forecasts of ``spec`` over ``windows`` (realised attached), from the cache if it has them."""
    panel = load_panel(conn, spec, args.test_end + dt.timedelta(days=1))
    truth = panel[["symbol", "date", "target_value"]].rename(columns={"target_value": "realised"})
    key = members_key(args, windows)
    members = []
    for family in families:
        label = f"{spec.name} {family}"
        cached = args.members_cache and args.members_cache / f"{label.replace(' ', '_')}_{key}.parquet"
        if cached and cached.exists():
            forecasts = pd.read_parquet(cached)
            seconds = float(json.loads(cached.with_suffix(".json").read_text())["seconds"])
            print(f"  {label}: {len(windows)} windows walked in {seconds:.2f} s (cached)")
        else:
            started = time.perf_counter()
            results = walk_forward(
                panel, spec, family, windows, TrainingScheme(args.scheme), runtime=make_runtime(args.device)
            )
            frames = [
                r.forecasts for r in tqdm(results, total=len(windows), desc=label, leave=False, disable=None)
            ]
            forecasts = pd.concat(frames, ignore_index=True)
            seconds = time.perf_counter() - started
            print(f"  {label}: {len(windows)} windows in {seconds:.2f} s", flush=True)
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                forecasts.to_parquet(cached)
                cached.with_suffix(".json").write_text(json.dumps({"seconds": seconds}))
        timings.members += seconds
        members.append(forecasts.merge(truth, on=["symbol", "date"], how="left"))
    return pd.concat(members, ignore_index=True)


class InlineExecutor(Executor):
    """Runs each task when it is submitted, in this process (``--jobs 1``)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def warm_worker() -> None:
    """A worker's start: one thread, and torch's lazily imported compiler modules loaded, which
    ``torch.use_deterministic_algorithms`` (the meta-combiner's training calls it) imports on first use, 1.5 s once
    per process; so the clock measures combining and calibrating, not a one-time import."""
    torch.set_num_threads(1)
    importlib.import_module("torch._inductor")


@contextmanager
def worker_pool(jobs: int) -> Iterator[Executor]:
    """``jobs`` started worker processes with one thread each, or this process for one job."""
    if jobs <= 1:
        yield InlineExecutor()
        return
    threads = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update(
        dict.fromkeys(THREAD_VARIABLES, "1")
    )  # one thread per worker: jobs workers on jobs cores
    spawn = get_context("spawn")
    try:
        with ProcessPoolExecutor(jobs, mp_context=spawn, initializer=warm_worker) as pool:
            # every worker started (importing this script's modules takes seconds) before the clock runs
            list(pool.map(time.sleep, [0.5] * jobs))
            yield pool
    finally:
        for name, value in threads.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def members_key(args: argparse.Namespace, windows: list[DateWindow]) -> str:
    """A digest of what the members' forecasts depend on: data, windows, settings and their code."""
    digest = hashlib.sha256()
    settings = (args.source, args.symbols, args.synthetic_symbols, args.scheme, args.proxy, args.device)
    digest.update(repr((settings, [(w.start, w.end) for w in windows])).encode())
    root = Path(__file__).resolve().parents[1]
    for path in sorted((root / "forge_core").rglob("*.py")):
        if path.relative_to(root / "forge_core").parts[0] not in NOT_MEMBER_CODE:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensemble_rows(
    history: pd.DataFrame,
    name: str,
    spec: TargetSpec,
    windows: list[DateWindow],
    families: list[str],
    context: pd.DataFrame,
) -> pd.DataFrame:
    """The ensemble ``name`` of ``families`` over ``windows``, as rows like the members' (realised attached)."""
    started = time.perf_counter()
    results = combine_windows(
        history, create_combiner(name), spec.name, spec.horizon, windows, families, context=context
    )
    rows = pd.concat([r.forecasts for r in results], ignore_index=True)
    print(
        f"  {spec.name} {ENSEMBLE_PREFIX}{name}: combined in {time.perf_counter() - started:.2f} s",
        flush=True,
    )
    truth = history[["symbol", "date", "realised"]].drop_duplicates(["symbol", "date"])
    return rows.drop(columns=["target"]).merge(truth, on=["symbol", "date"], how="left")


def as_json(report: BacktestReport, bands: Bands, realised: pd.DataFrame) -> dict[str, Any]:
    """results -> symbol -> target -> model -> metrics, with the interval scores and, for ensembles, the DM
    p-value against the best single model."""
    out: dict[str, Any] = {}
    for row in report.overall.to_dict("records"):
        metrics = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        symbol, target, model = metrics.pop("symbol"), metrics.pop("target"), metrics.pop("model")
        out.setdefault(symbol, {}).setdefault(target, {})[model] = metrics
    intervals = bands.report
    worst = intervals.yearly.groupby(["symbol", "target", "model", "method", "level"])["coverage"].min()
    for row in intervals.overall.itertuples():
        metrics = out.get(row.symbol, {}).get(row.target, {}).get(row.model)
        if metrics is None:
            continue
        suffix = f"{round(100 * row.level)}%_{row.method}"
        metrics[f"coverage_{suffix}"] = float(row.coverage)
        metrics[f"log_width_{suffix}"] = float(row.log_width)
        metrics[f"winkler_{suffix}"] = float(row.winkler)
        metrics[f"worst_year_coverage_{suffix}"] = float(
            worst[(row.symbol, row.target, row.model, row.method, row.level)]
        )
    for row in bands.coherence.itertuples():
        metrics = out.get(row.symbol, {}).get(row.target, {}).get(row.model)
        if metrics is not None:
            for what in ("incoherent", "outside_50", "skewed"):
                metrics[f"{what}_{row.method}"] = float(getattr(row, what))
    for row in bands.points.itertuples():
        metrics = out.get(row.symbol, {}).get(row.target, {}).get(row.model)
        if metrics is not None:
            metrics[f"qlike_point_{DEFAULT_METHOD}"] = float(row.qlike_point)
            metrics[f"qlike_point_ratio_{DEFAULT_METHOD}"] = float(row.ratio)
    for (symbol, target), rows in realised.groupby(["symbol", "target"]):
        models = out[symbol][target]
        singles = {m: v for m, v in models.items() if not m.startswith(ENSEMBLE_PREFIX)}
        if len(singles) == len(models):
            continue
        best = min(singles, key=lambda m: singles[m]["qlike"])
        wide = rows.pivot_table(index="date", columns="model", values="forecast").dropna()
        y = rows.groupby("date")["realised"].first().reindex(wide.index)
        keep = (y > 0).to_numpy()
        horizon = int(rows["horizon"].iloc[0])
        for model in models:
            if model.startswith(ENSEMBLE_PREFIX):
                test = diebold_mariano(
                    qlike(y[keep], wide[model][keep]), qlike(y[keep], wide[best][keep]), horizon
                )
                models[model] |= {"best_single": best, "dm_p_vs_best_single": test.p_value}
    return out


def print_bands(report: BacktestReport, bands: Bands) -> None:
    """Sharpness beside coverage: per method, model and horizon at every level; coherence as produced; the raw
    and published points; the aims."""
    overall = bands.report.overall
    wide = overall.pivot_table(
        index=["target", "model", "method"], columns="level", values=["coverage", "log_width", "winkler"]
    )
    wide.columns = [f"{metric}_{100 * level:g}%" for metric, level in wide.columns]
    print("\nBands per method, model and horizon, mean over symbols (log width and log Winkler score):")
    print(wide.groupby(level=[0, 1, 2]).mean().round(3).to_string())
    print(
        "\nBands as produced, mean over symbols: shares of days incoherent (not nested, or the 50% upper end not"
    )
    print("strictly below the 95%), with the point outside its 50% band, and flagged skewed:")
    print(
        bands.coherence.groupby(["target", "method"])[["days", "incoherent", "outside_50", "skewed"]]
        .agg({"days": "sum", "incoherent": "max", "outside_50": "mean", "skewed": "mean"})
        .round(4)
        .to_string()
    )
    print(
        f"\nPoints: QLIKE of the raw forecast and of {DEFAULT_METHOD}'s published point, mean over symbols:"
    )
    print(
        bands.points.groupby(["target", "model"])[["qlike_raw", "qlike_point", "ratio"]]
        .mean()
        .round(4)
        .to_string()
    )
    aims = band_aims(report, bands)
    print(
        f"\nAims ({DEFAULT_METHOD}, 90% band): coverage within 0.90 +- 0.015; worst calendar year at h = 1 >= 0.87; "
        f"Winkler score no worse than split's and the models' own quantiles' ({OWN_QUANTILES}):"
    )
    print(aims.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def band_aims(report: BacktestReport, bands: Bands) -> pd.DataFrame:
    """For log-HAR and the best ensemble (by QLIKE) of each symbol and horizon: the default method's 90% coverage,
    worst calendar year, and Winkler score beside split's and the models' own, and whether each aim is met."""
    at90 = bands.report.overall[bands.report.overall["level"] == 0.9].set_index(
        ["symbol", "target", "model", "method"]
    )
    yearly = bands.report.yearly[bands.report.yearly["level"] == 0.9]
    worst = yearly.groupby(["symbol", "target", "model", "method"])["coverage"].min()
    rows = []
    for (symbol, target), models in report.overall.groupby(["symbol", "target"]):
        ensembles = models[models["model"].str.startswith(ENSEMBLE_PREFIX)]
        chosen = ["log_har"] + ([ensembles.sort_values("qlike")["model"].iloc[0]] if len(ensembles) else [])
        for model in chosen:
            key = (symbol, target, model)
            if (*key, DEFAULT_METHOD) not in at90.index:
                continue
            default, split = at90.loc[(*key, DEFAULT_METHOD)], at90.loc[(*key, "split")]
            own = (
                at90.loc[(*key, OWN_QUANTILES), "winkler"] if (*key, OWN_QUANTILES) in at90.index else np.nan
            )
            coverage, worst_year = float(default["coverage"]), float(worst[(*key, DEFAULT_METHOD)])
            rows.append(
                {
                    "symbol": symbol,
                    "target": target,
                    "model": model,
                    "coverage": coverage,
                    "coverage_met": abs(coverage - 0.9) <= 0.015,
                    "worst_year": worst_year,
                    "worst_year_met": worst_year >= 0.87 if target == "rv_1d" else None,
                    "winkler": float(default["winkler"]),
                    "winkler_split": float(split["winkler"]),
                    "winkler_own": float(own),
                    "winkler_met": float(default["winkler"]) <= min(float(split["winkler"]), float(own)),
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    report, bands, realised, timings = backtest(args)
    wall = time.perf_counter() - started
    for (symbol, target), rows in report.overall.groupby(["symbol", "target"], sort=True):
        print(f"\n{symbol} {target} (proxy {args.proxy}, {args.refit} {args.scheme} refits, "
              f"{args.test_start} .. {args.test_end}, noise floor {rows['noise_floor'].iloc[0]:.4f})")  # fmt: skip
        print(
            rows.sort_values("qlike")[TABLE_COLUMNS].to_string(index=False, float_format=lambda v: f"{v:.4g}")
        )
    print_bands(report, bands)
    print(f"\nwall time: {wall:.1f} s for {len(realised):,} scored forecasts")
    print(
        f"members walked in {timings.members:.1f} s; on {args.jobs} worker(s), from one start: ensembles combined "
        f"after {timings.combining:.1f} s, every interval calibrated after {timings.calibrating:.1f} s"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "parameters": {k: str(v) for k, v in vars(args).items()},
            "wall_seconds": round(wall, 2),
            "seconds": {k: round(v, 2) for k, v in vars(timings).items()},
            "results": as_json(report, bands, realised),
            "band_aims": band_aims(report, bands).to_dict("records"),
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
