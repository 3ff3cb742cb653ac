"""Option quotes as the warehouse stores them: each with its mid, maturity, forward, implied volatility (or the flag
saying why it has none) and Black greeks, and the writes of the ``option_quotes`` and ``quote_summaries`` tables.

With :math:`T` = (expiry - date) / 365, :math:`F = S e^{(r - q)T}`, :math:`\\sigma` the implied volatility of the
mid, :math:`d_1 = (\\ln(F/K) + \\sigma^2 T/2)/(\\sigma\\sqrt T)`: delta :math:`e^{-qT}\\Phi(d_1)` for a call and
:math:`-e^{-qT}\\Phi(-d_1)` for a put; vega :math:`S e^{-qT}\\varphi(d_1)\\sqrt T` (per unit of volatility); gamma
:math:`e^{-qT}\\varphi(d_1)/(S\\sigma\\sqrt T)`.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from scipy.special import ndtr

from forge_core.date_window import DateWindow
from forge_core.options.implied_vol import IvFlag, implied_vol
from forge_core.options.quote_validation import DAYS_PER_YEAR
from forge_core.warehouse.partition_writes import replace_window_from_frame


def priced_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    """Canonical quotes with ``mid``, ``maturity``, ``forward``, ``implied_vol`` (NaN where flagged), ``iv_flag``
    (``ok`` or the reason, ``IvFlag`` names in lower case), ``delta``, ``vega`` and ``gamma`` (NaN without a
    volatility)."""
    t = (quotes["expiry"] - quotes["date"]).dt.days.to_numpy() / DAYS_PER_YEAR
    spot = quotes["underlying_price"].to_numpy(dtype=float)
    carry = np.exp(-quotes["dividend_yield"].to_numpy(dtype=float) * t)
    forward = spot * np.exp(
        (quotes["rate"].to_numpy(dtype=float) - quotes["dividend_yield"].to_numpy(dtype=float)) * t
    )
    mid = (quotes["bid"].to_numpy(dtype=float) + quotes["ask"].to_numpy(dtype=float)) / 2
    call = (quotes["option_type"] == "C").to_numpy()
    strike = quotes["strike"].to_numpy(dtype=float)
    vols = implied_vol(mid, forward, strike, t, call, np.exp(-quotes["rate"].to_numpy(dtype=float) * t))
    sigma = vols.vol
    root = sigma * np.sqrt(t)
    d1 = (np.log(forward / strike) + root**2 / 2) / root
    density = np.exp(-(d1**2) / 2) / np.sqrt(2 * np.pi)
    names = {int(f): f.name.lower() for f in IvFlag}
    return quotes.assign(
        mid=mid,
        maturity=t,
        forward=forward,
        implied_vol=sigma,
        iv_flag=[names[int(f)] for f in vols.flag],
        delta=np.where(call, carry * ndtr(d1), -carry * ndtr(-d1)),
        vega=spot * carry * density * np.sqrt(t),
        gamma=carry * density / (spot * root),
    )


def write_option_quotes(conn: duckdb.DuckDBPyConnection, quotes: pd.DataFrame, window: DateWindow) -> int:
    """Replace the window's ``option_quotes`` rows by ``quotes`` priced (one transaction); the rows now in it."""
    stamped = priced_quotes(quotes).assign(created_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
    return replace_window_from_frame(conn, "option_quotes", "date", window, stamped)


def write_quote_summaries(
    conn: duckdb.DuckDBPyConnection, summaries: pd.DataFrame, window: DateWindow
) -> int:
    """Replace the window's ``quote_summaries`` rows (one transaction); the rows now in it."""
    stamped = summaries.assign(created_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
    return replace_window_from_frame(conn, "quote_summaries", "date", window, stamped)
