"""What the forecasts are worth as risk numbers and as a trading rule, on the bundled S&P 500 and NASDAQ.

    python benchmarks/risk.py [--families har,log_har,ewma,garch,gjr_garch,random_walk]
        [--combiners equal_log,inverse_qlike,stacking,online,regime,markov_regime,best_recent] [--horizons 1,5,22]
        [--test-start 2010] [--test-end 2018] [--json benchmarks/results/risk_bundled.json] [--png PATH]

Walks every family forward over yearly windows from two years before ``--test-start`` (the platform's purged refits,
Parkinson targets of each horizon), combines them into the ensembles (their weights learnt from the members' earlier
out-of-sample forecasts; ``markov_regime`` reads Markov-switching regimes fitted at each year's start and filtered
through it), stores every forecast in an in-memory warehouse, then runs the same code as the ``risk_backtest`` and
``strategy_backtest`` assets: one-day and h-day VaR and ES at 1%, 2.5% and 5% (Student-t and FHS, each year
calibrated on the 500 forecasts before it; h-day targets scored every h days) backtested per year and overall by
Kupiec, Christoffersen and McNeil-Frey; volatility targeting at 10% (cap 2x) on the one-day forecasts beside
buy-and-hold. Prints the overall tables at 1%, the number of calendar years each model fails Christoffersen's
conditional coverage at 5%, and writes JSON (and the equity curves with ``--png``).
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

from forge_core.backtest.plots import equity_curves
from forge_core.data.bundled import BundledSource
from forge_core.date_window import yearly_windows
from forge_core.ensembles.combiner_registry import create_combiner
from forge_core.ensembles.ensemble_store import write_ensemble_window
from forge_core.ensembles.ensemble_windows import CONTEXT_COLUMNS, combine_windows
from forge_core.forecasting.forecast_store import load_features_with_regime, load_member_history, write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.market_tables import build_market_tables
from forge_core.regimes.regime_windows import window_regimes
from forge_core.risk.risk_report import load_pairs, risk_backtest
from forge_core.risk.vol_targeting import strategy_backtest
from forge_core.targets import TargetSpec
from forge_core.warehouse.partition_writes import replace_keyed
from forge_core.warehouse.sql_files import table_ddl

SYMBOLS = ("^GSPC", "^IXIC")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--families", default="har,log_har,ewma,garch,gjr_garch,random_walk")
    parser.add_argument(
        "--combiners", default="equal_log,inverse_qlike,stacking,online,regime,markov_regime,best_recent"
    )
    parser.add_argument("--horizons", default="1,5,22")
    parser.add_argument("--test-start", type=int, default=2010)
    parser.add_argument("--test-end", type=int, default=2018)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--png", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    specs = [TargetSpec(f"rv_{h}d", int(h)) for h in args.horizons.split(",")]
    families = args.families.split(",")
    combiners = [c for c in args.combiners.split(",") if c]
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    bars = BundledSource().load(dt.date(1999, 1, 1), dt.date(args.test_end, 12, 31))
    build_market_tables(conn, bars[bars["symbol"].isin([*SYMBOLS, "^VIX"])], tuple(specs))
    end = dt.date(args.test_end + 1, 1, 1)
    windows = yearly_windows(dt.date(args.test_start - 2, 1, 1), dt.date(args.test_end, 12, 31))
    if "markov_regime" in combiners:  # the regime at each year's start, filtered through the year
        features = load_features_with_regime(conn, ["log_parkinson_w"], end)
        regimes = window_regimes(features[features["symbol"].isin(SYMBOLS)], windows).probabilities
        for window in windows:
            mine = regimes[regimes["window_start"] == window.start]
            replace_keyed(
                conn, {"window_start": window.start}, {"regimes": mine.assign(created_at=pd.Timestamp.now())}
            )
    context = load_features_with_regime(conn, CONTEXT_COLUMNS, end)
    for spec in specs:
        panel = load_panel(conn, spec, end)
        for family in tqdm(families, desc=f"walk-forward {spec.name}", unit="family"):
            for result in walk_forward(panel, spec, family, windows, TrainingScheme()):
                write_window(conn, result, TrainingScheme())
    walked = time.perf_counter() - started
    for spec in specs:
        history = load_member_history(conn, spec.name, end)
        for name in tqdm(combiners, desc=f"ensembles {spec.name}", unit="combiner"):
            combined = combine_windows(
                history, create_combiner(name), spec.name, spec.horizon, windows, families, context=context
            )
            for window in combined:
                write_ensemble_window(conn, window)
    years = list(range(args.test_start, args.test_end + 1))
    frames = []
    for spec in specs:
        pairs = load_pairs(conn, spec.name, spec.horizon)
        frames.append(risk_backtest(pairs, years, horizon=spec.horizon).assign(target=spec.name))
    risk = pd.concat(frames, ignore_index=True)
    one_day = next(s for s in specs if s.horizon == 1)
    strategies, curves = strategy_backtest(load_pairs(conn, one_day.name), years)
    overall = risk[risk["period"] == "all"]
    yearly = risk[risk["period"] != "all"]
    failed_years = (
        yearly.assign(failed=yearly["p_cc"] < 0.05)
        .groupby(["target", "symbol", "model", "method", "tail"])["failed"]
        .sum()
        .rename("years_failing_cc")
    )
    table = (
        overall.set_index(["target", "symbol", "model", "method", "tail"]).join(failed_years).reset_index()
    )
    shown = ["symbol", "model", "method", "violations", "expected", "p_pof", "p_cc", "es_p_value",
             "years_failing_cc"]  # fmt: skip
    pd.set_option("display.width", 200)
    for spec in specs:
        mine = table[(table["target"] == spec.name) & (table["tail"] == 0.01)]
        print(f"\n{spec.name}: VaR/ES 1% backtest {years[0]}-{years[-1]} (scored every {spec.horizon} days)")
        print(mine[shown].round(4).to_string(index=False))
    print("\nVolatility targeting at 10% (cap 2x), one-day forecasts")
    print(strategies.round(4).to_string(index=False))
    print(f"\nwalk {walked:.0f} s; total {time.perf_counter() - started:.0f} s")
    if args.png:
        by_symbol: dict[str, dict[str, pd.Series]] = {}
        for (symbol, name), strategy in curves.items():
            by_symbol.setdefault(symbol, {})[name] = strategy.equity
        equity_curves(by_symbol, "Volatility targeting at 10% vs buy-and-hold", args.png)
        print(f"wrote {args.png}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "families": families,
            "combiners": combiners,
            "targets": [spec.name for spec in specs],
            "years": [years[0], years[-1]],
            "risk_overall": table.to_dict("records"),
            "risk_yearly": yearly.to_dict("records"),
            "strategies": strategies.to_dict("records"),
        }
        args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
