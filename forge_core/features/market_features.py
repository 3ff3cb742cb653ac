"""The ``market_features`` table: microstructure features of each day's closing quote and cross-asset terms, in
DuckDB SQL (``sql/features/market_features.sql`` defines them), and a pandas reference the tests hold it to."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.warehouse.partition_writes import replace_window
from forge_core.warehouse.sql_files import read_sql

MARKET_FEATURE_COLUMNS = [
    "symbol", "date", "spread_bps", "microprice_bps", "ofi", "liquidity_score", "corr_market_63",
    "corr_market_252", "corr_breakout", "vix_change_lag1",
]  # fmt: skip
BREAKOUT = 0.3


def build_market_features(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
    """Recompute ``market_features`` for the days of ``window`` (one transaction); the rows now in it."""
    return replace_window(
        conn, "market_features", "date", window, [(read_sql("features/market_features.sql"), {})]
    )


def market_features_reference(features: pd.DataFrame, summaries: pd.DataFrame) -> pd.DataFrame:
    """The same features in pandas over whole histories: ``features`` (``symbol, date, log_return, vix_change``),
    ``summaries`` as ``quote_summaries`` holds them."""
    frame = features.sort_values(["symbol", "date"]).copy()
    frame["market"] = frame.groupby("date")["log_return"].transform("mean")
    by_symbol = frame.groupby("symbol", group_keys=False)
    for days in (63, 252):
        frame[f"corr_market_{days}"] = by_symbol[["log_return", "market"]].apply(
            lambda g, n=days: g["log_return"].rolling(n, min_periods=n).corr(g["market"])
        )
    known = frame["corr_market_63"].notna() & frame["corr_market_252"].notna()
    breakout = (frame["corr_market_63"] - frame["corr_market_252"]).abs() > BREAKOUT
    frame["corr_breakout"] = breakout.astype("boolean").where(known)  # unknown until both windows are full
    frame["vix_change_lag1"] = by_symbol["vix_change"].shift(1)
    q = summaries.copy()
    mid = (q["ask"] + q["bid"]) / 2
    q["spread_bps"] = (q["ask"] - q["bid"]) / mid * 1e4
    micro = (q["bid"] * q["ask_size"] + q["ask"] * q["bid_size"]) / (q["bid_size"] + q["ask_size"])
    q["microprice_bps"] = (micro / mid - 1) * 1e4
    total = q["buy_volume"] + q["sell_volume"]
    q["ofi"] = (q["buy_volume"] - q["sell_volume"]) / total.where(total != 0)
    q["liquidity_score"] = np.log(q["bid_size"] + q["ask_size"]) - np.log(q["spread_bps"])
    quote_columns = ["spread_bps", "microprice_bps", "ofi", "liquidity_score"]
    out = frame.merge(q[["symbol", "date", *quote_columns]], on=["symbol", "date"], how="left")
    return out[MARKET_FEATURE_COLUMNS].reset_index(drop=True)
