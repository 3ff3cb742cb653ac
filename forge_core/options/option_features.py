"""The ``option_features`` table: option-implied features per symbol and day, in DuckDB SQL
(``sql/features/option_features.sql`` defines them), and a pandas reference of the same definitions that the tests
hold the SQL to."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.warehouse.partition_writes import replace_window
from forge_core.warehouse.sql_files import read_sql

T30 = 30 / 365
OPTION_FEATURE_COLUMNS = [
    "symbol", "date", "atm_var_30d", "atm_iv_30d", "term_slope", "rr25", "bf25", "vrp", "n_quotes", "n_atm",
    "n_otm", "n_itm", "vega_size", "gamma_size",
]  # fmt: skip


def build_option_features(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
    """Recompute ``option_features`` for the days of ``window`` from ``option_quotes`` (and ``daily_features``'
    trailing variance); one transaction; the rows now in the window."""
    return replace_window(
        conn, "option_features", "date", window, [(read_sql("features/option_features.sql"), {"t30": T30})]
    )


def option_features_reference(quotes: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """The same features in pandas, one (symbol, day) at a time: ``quotes`` as ``option_quotes`` holds them,
    ``features`` with ``symbol, date, sq_return_m``."""
    ok = quotes[quotes["iv_flag"] == "ok"].assign(
        k=lambda q: np.log(q["strike"] / q["forward"]), size=lambda q: q["bid_size"] + q["ask_size"]
    )
    otm = ((ok["option_type"] == "C") & (ok["k"] > 0)) | ((ok["option_type"] == "P") & (ok["k"] <= 0))
    ok = ok.assign(otm=otm)
    rows = []
    for (symbol, date), day in ok.groupby(["symbol", "date"], sort=True):
        atm = (
            day[day["otm"]]
            .assign(gap=lambda d: d["k"].abs())
            .sort_values("gap")
            .groupby("expiry")
            .first()[["maturity", "implied_vol"]]
            .sort_values("maturity")
        )
        t, iv = atm["maturity"].to_numpy(), atm["implied_vol"].to_numpy()
        w = iv**2 * t
        below, above = t <= T30, t >= T30
        if not below.any():
            variance = w[above][0] / t[above][0]
        elif not above.any() or t[above][0] == t[below][-1]:
            variance = w[below][-1] / t[below][-1]
        else:
            t_lo, t_hi, w_lo, w_hi = t[below][-1], t[above][0], w[below][-1], w[above][0]
            variance = (w_lo + (w_hi - w_lo) * (T30 - t_lo) / (t_hi - t_lo)) / T30
        slope = (iv[-1] - iv[0]) / (t[-1] - t[0]) if t[-1] > t[0] else np.nan
        near = int(np.argmin(np.abs(t - T30)))
        wings = day[day["expiry"] == atm.index[near]]
        calls, puts = wings[wings["option_type"] == "C"], wings[wings["option_type"] == "P"]
        c25 = (
            calls["implied_vol"].iloc[int(np.argmin(np.abs(calls["delta"] - 0.25)))] if len(calls) else np.nan
        )
        p25 = puts["implied_vol"].iloc[int(np.argmin(np.abs(puts["delta"] + 0.25)))] if len(puts) else np.nan
        near_atm = abs(day["k"]) < 0.05
        rows.append(
            {
                "symbol": symbol,
                "date": date,
                "atm_var_30d": variance,
                "atm_iv_30d": np.sqrt(variance),
                "term_slope": slope,
                "rr25": c25 - p25,
                "bf25": (c25 + p25) / 2 - iv[near],
                "sq_return_m": None,
                "n_quotes": len(day),
                "n_atm": int(near_atm.sum()),
                "n_otm": int((~near_atm & day["otm"]).sum()),
                "n_itm": int((~near_atm & ~day["otm"]).sum()),
                "vega_size": float((day["vega"] * day["size"]).sum()),
                "gamma_size": float((day["gamma"] * day["size"]).sum()),
            }
        )
    out = pd.DataFrame(rows).drop(columns="sq_return_m")
    trailing = features.set_index(["symbol", "date"])["sq_return_m"]
    out["vrp"] = (
        out["atm_var_30d"]
        - 252 * trailing.reindex(pd.MultiIndex.from_frame(out[["symbol", "date"]])).to_numpy()
    )
    return out[OPTION_FEATURE_COLUMNS]
