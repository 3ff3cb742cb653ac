"""What forward-looking features add to the forecasts: every family that takes them, with and without, in the same
walk-forward and scored by the backtest report's own feature-gain table (``forge_core.backtest.feature_gain``).

    python benchmarks/option_features.py [--json benchmarks/results/option_features.json] [--families har,mlp]

Synthetic market (3 symbols from 2011, option chains and quote summaries from 2012): each family against its
``_with_options`` variant (HAR and log-HAR: HAR-X on the 30-day ATM implied variance; the nets: the five option
columns as extra inputs). Bundled S&P 500 and NASDAQ, the VIX set: ``har_with_vix`` and ``log_har_with_vix``
(HAR-X on the VIX level) against HAR and log-HAR, and each net (which reads the VIX level and change by default)
against its ``_without_vix`` variant. Yearly refits, tested 2015-2018, every target. Per symbol, target and family:
QLIKE without and with, their ratio and the Diebold-Mariano (HLN) p-value; the synthetic market's implied variance is
informative by construction (it is the model's own expected variance times the VIX premium), so a gain must show
there. The return-only families (random walk, EWMA, GARCH, GJR-GARCH) take no feature set.
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

from forge_core.backtest.feature_gain import feature_gain, gain_summary
from forge_core.data.bundled import BundledSource
from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow, yearly_windows
from forge_core.features.market_features import build_market_features
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.market_tables import build_market_tables
from forge_core.models import families, model_class
from forge_core.models.variants import ModelVariant
from forge_core.options.option_features import build_option_features
from forge_core.options.priced_quotes import write_option_quotes, write_quote_summaries
from forge_core.options.synthetic_chains import option_chains, quote_summaries
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

TARGETS = (TargetSpec("rv_1d", 1), TargetSpec("rv_5d", 5), TargetSpec("rv_22d", 22))
NET = {"epochs": 15, "hidden": 16}
TAKING_SETS = tuple(f for f in families() if f not in {"random_walk", "ewma", "garch", "gjr_garch"})


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


def realised_forecasts(conn: duckdb.DuckDBPyConnection, market: str, models: list[str]) -> pd.DataFrame:
    """Every model walked yearly over 2015-2018 on every target, with the realised targets: the rows the backtest
    report scores (``load_realised``'s columns that ``feature_gain`` reads)."""
    windows = yearly_windows(dt.date(2015, 1, 1), dt.date(2018, 12, 31))
    frames = []
    for spec in TARGETS:
        panel = load_panel(conn, spec, dt.date(2019, 1, 1))
        truth = panel[["symbol", "date", "target_value"]].rename(columns={"target_value": "realised"})
        for name in tqdm(models, desc=f"{market} {spec.name}", unit="model"):
            params = NET if model_class(name).group == "deep_models" else {}
            results = walk_forward(panel, spec, name, windows, TrainingScheme(), model_params=params)
            forecasts = pd.concat([r.forecasts for r in results], ignore_index=True)
            frames.append(
                forecasts[["symbol", "date", "forecast"]]
                .merge(truth, on=["symbol", "date"])
                .assign(target=spec.name, horizon=spec.horizon, model=name, market=market)
            )
    return pd.concat(frames, ignore_index=True)


def variants(chosen: tuple[str, ...], set_name: str, default_sets: bool) -> list[str]:
    """Each chosen family and its variant with ``set_name`` (``_without_`` for the nets when they read it by
    default)."""
    names = []
    for family in chosen:
        include = not (default_sets and model_class(family).group == "deep_models")
        names += [family, ModelVariant(family, (set_name,), include).name]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--families", default="", help="comma-separated families (default: all that take sets)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    chosen = tuple(args.families.split(",")) if args.families else TAKING_SETS
    synthetic = realised_forecasts(synthetic_market(), "synthetic", variants(chosen, "options", False))
    bars = BundledSource().load(dt.date(1999, 1, 1), dt.date(2018, 12, 31))
    bundled = realised_forecasts(
        warehouse(bars[bars["symbol"].isin(["^GSPC", "^IXIC", "^VIX"])]),
        "bundled",
        variants(chosen, "vix", True),
    )
    table = pd.concat(
        [feature_gain(synthetic).assign(market="synthetic"), feature_gain(bundled).assign(market="bundled")],
        ignore_index=True,
    )
    pd.set_option("display.width", 220)
    print(table.drop(columns=["first_day", "last_day"]).round(4).to_string(index=False))
    print("\nmean QLIKE ratio (with / without) and symbols significantly better or worse (DM, HLN, 5%)")
    for market in ("synthetic", "bundled"):
        print(f"\n{market}\n{gain_summary(table[table['market'] == market]).round(4).to_string(index=False)}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": table.to_dict("records")}, indent=1, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
