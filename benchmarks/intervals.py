"""Conformal prediction intervals (forge_core.intervals) on a walk-forward backtest of the bundled data.

    python benchmarks/intervals.py [--symbols ^GSPC,^IXIC] [--models log_har,har] [--first-year 2001] \
        [--test-start 2010-01-01] [--test-end 2018-12-31] [--out benchmarks/results/intervals_bundled]

Walks the models over yearly windows from --first-year (expanding, purged refits, parkinson proxy, targets rv_1d,
rv_5d, rv_22d; state in a temporary folder), so that every series has realised scores before the test years.
Then, for every symbol x target x model series:

1. tuning: calibrates each method over a small grid of parameters and scores the 90% band on the days before
   --test-start only; the rule (``choose``) picks per method the candidate whose coverage is within 0.015 of
   0.90 at every horizon with the smallest mean Winkler score, or, if none is, the one closest to 0.90 at its
   worst horizon. The package defaults are these choices; the script says whether they still agree;
2. scores: two one-sided quantiles of s = log(y/f) against quantiles of |s|, per method and level, on the tuning
   days (the choice) and the test days;
3. evaluation: the package defaults on the test days: coverage, mean width (log units and relative to the
   forecast) and the log-scale Winkler score per method x level x model x target (and symbol in the JSON),
   overall and per calendar year, beside the models' own 90% quantile bands (q05..q95), and the issue's aims;
4. timing: calibrating the test years of every series with every method, and of 12 models' worth of series.

Prints the tables and writes ``<out>.txt`` and ``<out>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from forge_core.data.schema import VIX_SYMBOLS
from forge_core.data.sources import make_source
from forge_core.date_window import yearly_windows
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.intervals import (
    DEFAULT_LEVELS,
    DEFAULT_MIN_SCORES,
    INTERVAL_METHODS,
    Intervals,
    PidParams,
    SplitParams,
    calibrate,
)
from forge_core.market_tables import build_market_tables
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

HISTORY_START = dt.date(1990, 1, 1)
HORIZONS = (1, 5, 22)
NOMINAL = 0.9
TOLERANCE = 0.015
OWN_BAND = "model q05-q95"
CURVE_LEVELS = tuple(round(0.8 + 0.01 * k, 2) for k in range(19))
GRID: dict[str, list[Any]] = {
    "split": [SplitParams(window) for window in (250, 500, 1000, 2000)],
    "pid": [
        PidParams(window, eta, ki, prior=prior)
        for window, eta, ki, prior in itertools.product(
            (500, 1000, 2000), (0.003, 0.01, 0.03, 0.1), (0.0, 0.1, 0.3), (0.0, 20.0)
        )
    ],
}


@dataclass(frozen=True)
class Series:
    """One symbol's forecasts of one target by one model, with the realised target and the model's own band."""

    symbol: str
    target: str
    model: str
    horizon: int
    forecast: pd.Series
    realised: pd.Series
    model_band: pd.DataFrame  # q05, q95


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", default="^GSPC,^IXIC")
    parser.add_argument("--models", default="log_har,har")
    parser.add_argument("--first-year", type=int, default=2001)
    parser.add_argument("--test-start", type=dt.date.fromisoformat, default=dt.date(2010, 1, 1))
    parser.add_argument("--test-end", type=dt.date.fromisoformat, default=dt.date(2018, 12, 31))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/intervals_bundled"))
    return parser.parse_args(argv)


def backtest(args: argparse.Namespace) -> list[Series]:
    """Walk-forward forecasts of every model, symbol and target from --first-year to --test-end."""
    specs = tuple(TargetSpec(f"rv_{h}d", h, "parkinson") for h in HORIZONS)
    windows = yearly_windows(dt.date(args.first_year, 1, 1), args.test_end)
    symbols = args.symbols.split(",")
    with tempfile.TemporaryDirectory(prefix="forge_intervals_") as home:
        os.environ["FORGE_HOME"] = home
        conn = duckdb.connect(str(Path(home) / "warehouse.duckdb"))
        for ddl in table_ddl():
            conn.execute(ddl)
        bars = make_source("bundled").load(HISTORY_START, args.test_end)
        build_market_tables(conn, bars[bars["symbol"].isin({*symbols, *VIX_SYMBOLS})], specs)
        out = []
        jobs = [(spec, model) for spec in specs for model in args.models.split(",")]
        for spec, model in tqdm(jobs, desc="walk-forward", disable=None):
            panel = load_panel(conn, spec, args.test_end + dt.timedelta(days=1))
            truth = panel.set_index(["symbol", "date"])["target_value"]
            frame = pd.concat(
                [r.forecasts for r in walk_forward(panel, spec, model, windows, TrainingScheme())],
                ignore_index=True,
            )
            for symbol, rows in frame.groupby("symbol", sort=True):
                rows = rows.set_index("date").sort_index()
                realised = truth.loc[str(symbol)].reindex(rows.index)
                out.append(
                    Series(
                        str(symbol),
                        spec.name,
                        model,
                        spec.horizon,
                        rows["forecast"],
                        realised,
                        rows[["q05", "q95"]],
                    )
                )
        conn.close()
    return out


def band_scores(intervals: Intervals, realised: pd.Series) -> pd.DataFrame:
    """Per level: coverage, log and relative width, log Winkler score and days scored."""
    return pd.DataFrame(
        {
            "coverage": intervals.coverage(realised),
            "log_width": intervals.width(),
            "relative_width": intervals.width(relative=True),
            "winkler": intervals.winkler(realised),
            "days": int(realised.reindex(intervals.forecast.index).notna().sum()),
        }
    )


def own_band(series: Series) -> Intervals:
    """The model's own 90% band, its q05 .. q95 (from its training residuals), as an ``Intervals``."""
    low, high = (
        series.model_band[[q]].set_axis(pd.Index([NOMINAL], name="level"), axis=1) for q in ("q05", "q95")
    )
    days = series.forecast.index
    return Intervals(
        OWN_BAND,
        series.horizon,
        (NOMINAL,),
        series.forecast,
        series.forecast,
        low,
        high,
        pd.Series(0, index=days),
        0,
    )


def scored(
    series: list[Series],
    method: str,
    params: Any,
    periods: dict[str, tuple[pd.Timestamp, pd.Timestamp]],
    symmetric: bool = False,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
) -> Iterator[dict[str, Any]]:
    """One row per series, period and level (``OWN_BAND``: the model's own band, at 90% only)."""
    for s in series:
        intervals = (
            own_band(s)
            if method == OWN_BAND
            else calibrate(
                s.forecast, s.realised, s.horizon, method, levels=levels, params=params, symmetric=symmetric
            )
        )
        for period, (first, last) in periods.items():
            table = band_scores(intervals.between(first, last), s.realised.loc[first:last])
            for level, row in table.iterrows():
                yield {
                    "symbol": s.symbol,
                    "target": s.target,
                    "model": s.model,
                    "period": period,
                    "level": level,
                    **row.to_dict(),
                }


def choose(candidates: pd.DataFrame) -> int:
    """The tuning rule, on one method's candidates (rows: candidate x target, tuning days, 90% band, pooled over
    symbols and models): coverage within TOLERANCE of NOMINAL at every horizon, then the smallest mean Winkler
    score; if no candidate qualifies, the smallest worst-horizon coverage gap."""
    by = candidates.groupby("candidate")
    gap = by["coverage"].agg(lambda c: float(np.max(np.abs(c - NOMINAL))))
    winkler = by["winkler"].mean()
    qualified = gap[gap <= TOLERANCE].index
    return int(winkler.loc[qualified].idxmin() if len(qualified) else gap.idxmin())


def tune(
    series: list[Series], tuning: tuple[pd.Timestamp, pd.Timestamp]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Score every grid candidate on the tuning days; the chosen parameters per method."""
    frames, chosen = [], {}
    for method, grid in GRID.items():
        rows = []
        for k, params in enumerate(tqdm(grid, desc=f"tune {method}", disable=None)):
            for row in scored(series, method, params, {"tuning": tuning}):
                if row["level"] == NOMINAL:
                    rows.append({"method": method, "candidate": k, "params": describe(params), **row})
        pooled = (
            pd.DataFrame(rows)
            .groupby(["method", "candidate", "params", "target"], as_index=False)[
                ["coverage", "log_width", "winkler"]
            ]
            .mean()
        )
        best = choose(pooled)
        chosen[method] = grid[best]
        frames.append(pooled.assign(chosen=pooled["candidate"] == best))
    return pd.concat(frames, ignore_index=True), chosen


def describe(params: Any) -> str:
    return ", ".join(f"{k}={v}" for k, v in asdict(params).items())


def pooled(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean of the metrics over the series not in ``keys`` (every series has the same days)."""
    return rows.groupby(keys, as_index=False)[["coverage", "log_width", "relative_width", "winkler"]].mean()


def width_at(curve: pd.DataFrame, coverage: float) -> float:
    """Log width at ``coverage`` along one pooled width-coverage curve (one row per level), linear in between;
    NaN outside it."""
    curve = curve.sort_values("level")
    return float(np.interp(coverage, curve["coverage"], curve["log_width"], left=np.nan, right=np.nan))


def timing(series: list[Series], test: tuple[pd.Timestamp, pd.Timestamp], copies: int) -> dict[str, float]:
    """Seconds to calibrate the test days of every series (``copies`` times over) with every method."""
    cut = [(s.forecast.loc[test[0] : test[1]], s.realised.loc[test[0] : test[1]], s.horizon) for s in series]
    seconds: dict[str, float] = {}
    for method in INTERVAL_METHODS:
        started = time.perf_counter()
        for (forecast, realised, horizon), _ in itertools.product(cut, range(copies)):
            calibrate(forecast, realised, horizon, method)
        seconds[method] = time.perf_counter() - started
    return seconds


def table(frame: pd.DataFrame) -> str:
    return str(frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


class Report:
    """The printed tables, kept for the .txt, and what goes into the .json."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.payload: dict[str, Any] = {}

    def say(self, text: str) -> None:
        print(text, flush=True)
        self.lines.append(text)


def report_tuning(report: Report, series: list[Series], tuning: tuple[pd.Timestamp, pd.Timestamp]) -> None:
    candidates, chosen = tune(series, tuning)
    report.say(
        f"\n1. Tuning: 90% band on the days {tuning[0].date()} .. {tuning[1].date()} (intervals start once "
        f"{DEFAULT_MIN_SCORES} scores are realised), pooled over symbols and models; rule: coverage within "
        f"{TOLERANCE} of {NOMINAL} at every horizon, then the least mean Winkler score, else the least "
        "worst-horizon coverage gap"
    )
    wide = candidates.pivot_table(
        index=["method", "params", "chosen"], columns="target", values=["coverage", "winkler"]
    )
    wide.columns = [f"{metric}_{target}" for metric, target in wide.columns]
    report.say(table(wide.reset_index().sort_values(["method", "params"])))
    for method, params in chosen.items():
        verdict = "agrees" if params == INTERVAL_METHODS[method].Params() else "DIFFERS"
        report.say(f"  {method}: chosen {describe(params)}; package default {verdict}")
    report.payload["tuning"] = candidates.to_dict("records")
    report.payload["chosen_by_tuning"] = {m: asdict(p) for m, p in chosen.items()}


def report_sides(
    report: Report, series: list[Series], periods: dict[str, tuple[pd.Timestamp, pd.Timestamp]]
) -> pd.DataFrame:
    """Two-sided against |s| at the package defaults; returns the pooled width-coverage curves."""
    report.say(
        "\n2. Two one-sided quantiles of s vs quantiles of |s|: 90% band pooled over symbols and models; "
        "log_width_at_0.9 = log width at 0.90 coverage, interpolated along levels 0.80 .. 0.98"
    )
    curves = pd.DataFrame(
        [
            {**row, "scores": "|s|" if symmetric else "two-sided", "method": method}
            for method, symmetric in itertools.product(INTERVAL_METHODS, (False, True))
            for row in scored(series, method, None, periods, symmetric, CURVE_LEVELS)
        ]
    )
    keys = ["period", "target", "method", "scores"]
    curves = pooled(curves, [*keys, "level"])
    sides = curves[np.isclose(curves["level"], NOMINAL)].drop(columns=["level", "relative_width"])
    at = {key: width_at(curve, NOMINAL) for key, curve in curves.groupby(keys)}
    sides["log_width_at_0.9"] = [at[key] for key in sides[keys].itertuples(index=False, name=None)]
    report.say(table(sides.sort_values(keys)))
    report.payload["scores_two_sided_vs_abs"] = sides.to_dict("records")
    return curves


def report_test(
    report: Report, series: list[Series], test: tuple[pd.Timestamp, pd.Timestamp], curves: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every method at its defaults (and the models' own band) over the test days and each of their calendar
    years; returns the test days' table pooled over symbols and models, and the per-year rows."""
    report.say(
        f"\n3. Package defaults on the test days {test[0].date()} .. {test[1].date()}; vs_split = log width "
        "over split's at the same coverage (split's levels 0.80 .. 0.98, interpolated)"
    )
    years = {
        str(y): (pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 31))
        for y in range(test[0].year, test[1].year + 1)
    }
    rows = pd.DataFrame(
        [
            {**row, "method": method}
            for method in (*INTERVAL_METHODS, OWN_BAND)
            for row in scored(series, method, None, {"test": test, **years})
        ]
    )
    overall = pooled(rows[rows["period"] == "test"], ["target", "level", "method"])
    split = curves.query("period == 'test' and method == 'split' and scores == 'two-sided'")
    overall["vs_split"] = [
        row.log_width / width_at(split[split["target"] == row.target], row.coverage)
        for row in overall.itertuples()
    ]
    report.say("pooled over symbols and models:")
    report.say(table(overall.sort_values(["target", "level", "method"])))
    at90 = rows[(rows["level"] == NOMINAL)]
    report.say("90% band per model, pooled over symbols:")
    report.say(table(pooled(at90[at90["period"] == "test"], ["target", "model", "method"])))
    yearly = at90[at90["period"] != "test"]
    report.say("\n90% coverage per calendar year, pooled over symbols and models:")
    report.say(
        table(
            yearly.pivot_table(index=["target", "method"], columns="period", values="coverage").reset_index()
        )
    )
    worst = yearly.loc[yearly.groupby(["target", "method"])["coverage"].idxmin()]
    report.say("worst single series-year:")
    report.say(table(worst[["target", "method", "symbol", "model", "period", "coverage", "log_width"]]))
    report.payload["test"] = rows.to_dict("records")
    return overall, yearly


def report_aims(report: Report, overall: pd.DataFrame, yearly: pd.DataFrame) -> None:
    report.say(
        f"\n4. Aims (90% band, test days): coverage {NOMINAL} +- {TOLERANCE} at every horizon; >= 0.87 in "
        "every calendar year at h=1; no wider than split at the same coverage"
    )
    at90 = overall[overall["level"] == NOMINAL].set_index(["method", "target"])
    h1 = yearly[yearly["target"] == "rv_1d"]
    aims = {}
    for method in INTERVAL_METHODS:
        cov, vs_split = at90.loc[method, "coverage"], at90.loc[method, "vs_split"]
        years = h1[h1["method"] == method]
        aim = {
            "coverage": cov.round(3).to_dict(),
            "coverage_met": bool((np.abs(cov - NOMINAL) <= TOLERANCE).all()),
            "h1_worst_year_pooled": round(float(years.groupby("period")["coverage"].mean().min()), 3),
            "h1_worst_year_any_series": round(float(years["coverage"].min()), 3),
            "width_vs_split_same_coverage": vs_split.round(3).to_dict(),
        }
        aims[method] = aim
        report.say(
            f"  {method}: coverage {aim['coverage']} -> {'met' if aim['coverage_met'] else 'NOT met'}; h=1 "
            f"worst year {aim['h1_worst_year_pooled']} pooled, {aim['h1_worst_year_any_series']} in any series; "
            f"width / split's at the same coverage {aim['width_vs_split_same_coverage']}"
        )
    report.payload["aims"] = aims


def report_timing(report: Report, series: list[Series], test: tuple[pd.Timestamp, pd.Timestamp]) -> None:
    copies = 6  # two models' series six times over: as many series as twelve models give
    seconds, many = timing(series, test, 1), timing(series, test, copies)
    days = len(series[0].forecast.loc[test[0] : test[1]])
    report.say(
        f"\n5. Timing: {len(series)} series x {days} test days: "
        + ", ".join(f"{m} {s:.2f} s" for m, s in seconds.items())
        + f" (all {sum(seconds.values()):.2f} s); {len(series) * copies} series (12 models' worth) x "
        f"{len(INTERVAL_METHODS)} methods: {sum(many.values()):.2f} s"
    )
    report.payload["timing_seconds"] = {"per_method": seconds, f"x{copies}_per_method": many}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    series = backtest(args)
    test = (pd.Timestamp(args.test_start), pd.Timestamp(args.test_end))
    tuning = (pd.Timestamp(dt.date(args.first_year, 1, 1)), test[0] - pd.Timedelta(days=1))
    report = Report()
    report.say(
        f"{len(series)} series ({args.symbols}; {args.models}; rv_1d, rv_5d, rv_22d; parkinson; yearly "
        f"expanding refits from {args.first_year}), walk-forward in {time.perf_counter() - started:.1f} s"
    )
    report_tuning(report, series, tuning)
    curves = report_sides(report, series, {"tuning": tuning, "test": test})
    overall, yearly = report_test(report, series, test, curves)
    report_aims(report, overall, yearly)
    report_timing(report, series, test)
    wall = time.perf_counter() - started
    report.say(f"wall time {wall:.1f} s")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(report.lines) + "\n")
    payload = {
        "parameters": {k: str(v) for k, v in vars(args).items()},
        "levels": list(DEFAULT_LEVELS),
        "defaults": {m: asdict(INTERVAL_METHODS[m].Params()) for m in INTERVAL_METHODS},
        **report.payload,
        "wall_seconds": round(wall, 2),
    }
    args.out.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=str) + "\n")
    print(f"wrote {args.out.with_suffix('.txt')} and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
