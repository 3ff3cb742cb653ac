"""What forward-looking features add to the forecasts: each family with and without them, in the same walk-forward.

    python benchmarks/option_features.py [--json benchmarks/results/option_features.json]

Synthetic market (3 symbols from 2011, option chains and quote summaries from 2012): the log-HAR against HAR-X with
the 30-day ATM implied variance (``log_har`` with ``exog=atm_var_30d``) and the MLP with and without
``atm_var_30d, rr25, vrp`` as extra inputs; yearly refits, tested 2015-2018, every target. Bundled S&P 500 and
NASDAQ: the log-HAR against HAR-X with the VIX level (``exog=vix_level``) over 2015-2018 (the nets take the VIX
level and change by default, so there is no without-VIX net to set beside them).
Per symbol, target and family: QLIKE of each variant, their ratio and the Diebold-Mariano (HLN) p-value; the
synthetic market's implied variance is informative by construction (it is the model's own expected variance times
the VIX premium), so a gain must show there.
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

from forge_core.data.bundled import BundledSource
from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow, yearly_windows
from forge_core.evaluation.diebold_mariano import diebold_mariano
from forge_core.evaluation.losses import qlike
from forge_core.features.market_features import build_market_features
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.options.option_features import build_option_features
from forge_core.options.priced_quotes import write_option_quotes, write_quote_summaries
from forge_core.options.synthetic_chains import option_chains, quote_summaries
from forge_core.pipeline import build_market_tables
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

TARGETS = (TargetSpec("rv_1d", 1), TargetSpec("rv_5d", 5), TargetSpec("rv_22d", 22))
NET = {"epochs": 15, "hidden": 16}


def warehouse(bars: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, bars, TARGETS)
    return conn


def synthetic_market() -> duckdb.DuckDBPyConnection:
    source = SyntheticSource(3, seed=21, start=dt.date(2011, 1, 3), today=dt.date(2018, 12, 31))
    conn = warehouse(source.load(dt.date(2011, 1, 3), dt.date(2018, 12, 31)))
    window = DateWindow(dt.date(2012, 1, 1), dt.date(2019, 1, 1))
    write_option_quotes(conn, option_chains(source, window.start, window.last_day), window)
    write_quote_summaries(conn, quote_summaries(source, window.start, window.last_day), window)
    build_option_features(conn, window)
    build_market_features(conn, window)
    return conn


def compare(
    conn: duckdb.DuckDBPyConnection,
    market: str,
    variants: dict[str, tuple[str, dict[str, object]]],
    pairs: tuple[tuple[str, str], ...],
) -> list[dict[str, object]]:
    """Every variant walked yearly over 2015-2018 on every target; a row per symbol, target and pair."""
    windows = yearly_windows(dt.date(2015, 1, 1), dt.date(2018, 12, 31))
    rows = []
    for spec in TARGETS:
        panel = load_panel(conn, spec, dt.date(2019, 1, 1))
        forecasts = {}
        for name, (family, params) in variants.items():
            started = time.perf_counter()
            results = walk_forward(panel, spec, family, windows, TrainingScheme(), model_params=params)
            forecasts[name] = pd.concat([r.forecasts for r in results], ignore_index=True)
            print(f"  {market} {spec.name} {name}: {time.perf_counter() - started:.1f} s", flush=True)
        truth = panel[["symbol", "date", "target_value"]]
        for base, with_features in pairs:
            a = forecasts[base].merge(truth, on=["symbol", "date"])
            b = forecasts[with_features].merge(truth, on=["symbol", "date"])
            both = a.merge(b, on=["symbol", "date", "target_value"], suffixes=("_a", "_b")).dropna(
                subset=["forecast_a", "forecast_b", "target_value"]
            )
            both = both[both["target_value"] > 0]
            for symbol, mine in both.groupby("symbol"):
                loss_a = qlike(mine["target_value"].to_numpy(), mine["forecast_a"].to_numpy())
                loss_b = qlike(mine["target_value"].to_numpy(), mine["forecast_b"].to_numpy())
                dm = diebold_mariano(loss_b, loss_a, spec.horizon)
                rows.append(
                    {
                        "market": market,
                        "symbol": symbol,
                        "target": spec.name,
                        "family": base,
                        "days": len(mine),
                        "qlike_without": float(loss_a.mean()),
                        "qlike_with": float(loss_b.mean()),
                        "ratio": float(loss_b.mean() / loss_a.mean()),
                        "dm_statistic": dm.statistic,
                        "dm_p_value": dm.p_value,
                    }
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    options = "atm_var_30d,rr25,vrp"
    synthetic = compare(
        synthetic_market(),
        "synthetic",
        {
            "log_har": ("log_har", {}),
            "har_x": ("log_har", {"exog": "atm_var_30d"}),
            "mlp": ("mlp", NET),
            "mlp_x": ("mlp", {**NET, "extra_columns": options}),
        },
        (("log_har", "har_x"), ("mlp", "mlp_x")),
    )
    bars = BundledSource().load(dt.date(1999, 1, 1), dt.date(2018, 12, 31))
    bundled = compare(
        warehouse(bars[bars["symbol"].isin(["^GSPC", "^IXIC", "^VIX"])]),
        "bundled",
        {"log_har": ("log_har", {}), "har_x": ("log_har", {"exog": "vix_level"})},
        (("log_har", "har_x"),),
    )
    table = pd.DataFrame(synthetic + bundled)
    pd.set_option("display.width", 200)
    print(table.round(4).to_string(index=False))
    summary = table.groupby(["market", "family", "target"]).agg(
        ratio=("ratio", "mean"),
        significant=("dm_p_value", lambda p: int((p < 0.05).sum())),
        symbols=("symbol", "count"),
    )
    print("\nmean QLIKE ratio (with / without) and symbols with a DM p-value below 5%")
    print(summary.round(4).to_string())
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": table.to_dict("records")}, indent=1, default=float) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
