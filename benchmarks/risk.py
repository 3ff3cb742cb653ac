"""What the forecasts are worth as risk numbers and as a trading rule, on the bundled S&P 500 and NASDAQ.

    python benchmarks/risk.py [--families har,log_har,ewma,garch,gjr_garch,random_walk] [--test-start 2010]
        [--test-end 2018] [--json benchmarks/results/risk_bundled.json] [--png PATH]

Walks every family forward over yearly windows from two years before ``--test-start`` (the platform's purged refits,
one-day Parkinson target), stores the forecasts in an in-memory warehouse, then runs the same code as the
``risk_backtest`` and ``strategy_backtest`` assets: one-day VaR and ES at 1%, 2.5% and 5% (Student-t and FHS, each
year calibrated on the 500 forecasts before it) backtested per year and overall by Kupiec, Christoffersen and
McNeil-Frey; volatility targeting at 10% (cap 2x) beside buy-and-hold. Prints the overall tables, the number of
calendar years each model fails Christoffersen's conditional coverage at 5%, and writes JSON (and the equity curves
with ``--png``).
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
from forge_core.forecasting.forecast_store import write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.pipeline import build_market_tables
from forge_core.risk.risk_report import load_pairs, risk_backtest
from forge_core.risk.vol_targeting import strategy_backtest
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

SPEC = TargetSpec("rv_1d", 1)
SYMBOLS = ("^GSPC", "^IXIC")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--families", default="har,log_har,ewma,garch,gjr_garch,random_walk")
    parser.add_argument("--test-start", type=int, default=2010)
    parser.add_argument("--test-end", type=int, default=2018)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--png", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    bars = BundledSource().load(dt.date(1999, 1, 1), dt.date(args.test_end, 12, 31))
    build_market_tables(conn, bars[bars["symbol"].isin([*SYMBOLS, "^VIX"])], (SPEC,))
    panel = load_panel(conn, SPEC, dt.date(args.test_end + 1, 1, 1))
    windows = yearly_windows(dt.date(args.test_start - 2, 1, 1), dt.date(args.test_end, 12, 31))
    families = args.families.split(",")
    for family in tqdm(families, desc="walk-forward", unit="family"):
        for result in walk_forward(panel, SPEC, family, windows, TrainingScheme()):
            write_window(conn, result, TrainingScheme())
    walked = time.perf_counter() - started
    pairs = load_pairs(conn, SPEC.name)
    years = list(range(args.test_start, args.test_end + 1))
    risk = risk_backtest(pairs, years)
    strategies, curves = strategy_backtest(pairs, years)
    overall = risk[risk["period"] == "all"]
    yearly = risk[risk["period"] != "all"]
    failed_years = (
        yearly.assign(failed=yearly["p_cc"] < 0.05)
        .groupby(["symbol", "model", "method", "tail"])["failed"]
        .sum()
        .rename("years_failing_cc")
    )
    table = overall.set_index(["symbol", "model", "method", "tail"]).join(failed_years).reset_index()
    shown = ["symbol", "model", "method", "tail", "violations", "expected", "p_pof", "p_cc", "es_p_value",
             "years_failing_cc"]  # fmt: skip
    pd.set_option("display.width", 200)
    print(f"\nVaR/ES backtest {years[0]}-{years[-1]} (one-day Parkinson forecasts, yearly refits)")
    print(table[shown].round(4).to_string(index=False))
    print("\nVolatility targeting at 10% (cap 2x)")
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
