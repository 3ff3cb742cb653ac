"""A plain pandas (groupby / shift / rolling) implementation of the daily features.

It is written independently of ``sql/features/daily_features.sql`` and serves two purposes: the tests check
the SQL against it to 1e-9, and ``benchmarks/features.py`` times both. The warehouse never uses it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forge_core.data.schema import VIX_SYMBOLS
from forge_core.data.splits import no_splits, split_ratios
from forge_core.features.daily import MIN_VOLUME_SD, PROXIES, VARIANCE_FLOOR
from forge_core.settings import DEFAULT_GAP_WEEKDAYS

WINDOWS = {"w": 5, "m": 22}
# Daily terms that need the previous close: their windows need one more bar of the segment (its first has none).
_RETURN_BASED = frozenset({"yang_zhang_d", "sq_return_d", "neg_return_d"})
VOLUME_WINDOW = 63
YANG_ZHANG_K = 0.34 / (1.34 + (22 + 1) / (22 - 1))


def _weekdays_between(earlier: pd.Series, later: pd.Series) -> np.ndarray:
    """Weekdays strictly between two dates (NaT gives 0)."""
    known = earlier.notna().to_numpy()
    counts = np.zeros(len(later), dtype=np.int64)
    first = earlier[known].to_numpy().astype("datetime64[D]") + 1
    counts[known] = np.busday_count(first, later[known].to_numpy().astype("datetime64[D]"))
    return counts


def _daily_terms(bars: pd.DataFrame, splits: pd.DataFrame, gap_weekdays: int) -> pd.DataFrame:
    """Returns and the five daily variance proxies, one row per input bar, with each bar's gap segment."""
    by_symbol = bars.groupby("symbol", sort=False)
    prev_close, prev_adj = by_symbol["close"].shift(1), by_symbol["adj_close"].shift(1)
    ratios = split_ratios(splits, bars["symbol"].to_numpy(), bars["date"].to_numpy())
    adjusted = bars["adj_close"].notna() & prev_adj.notna()
    adjustment = np.where(adjusted, (bars["adj_close"] / bars["close"]) / (prev_adj / prev_close), ratios)
    after_gap = _weekdays_between(by_symbol["date"].shift(1), bars["date"]) > gap_weekdays
    out = bars[["symbol", "date"]].copy()
    out["segment"] = pd.Series(after_gap, index=bars.index).groupby(bars["symbol"], sort=False).cumsum()
    out["previous_date"] = by_symbol["date"].shift(1)
    out["log_return"] = np.log(bars["close"] * adjustment / prev_close).mask(after_gap)
    out["overnight_return"] = np.log(bars["open"] * adjustment / prev_close).mask(after_gap)
    out["intraday_return"] = np.log(bars["close"] / bars["open"])
    out["log_range"] = np.log(bars["high"] / bars["low"])
    rs = np.log(bars["high"] / bars["close"]) * np.log(bars["high"] / bars["open"]) + np.log(
        bars["low"] / bars["close"]
    ) * np.log(bars["low"] / bars["open"])
    out["parkinson_d"] = out["log_range"] ** 2 / (4 * np.log(2))
    out["garman_klass_d"] = 0.5 * out["log_range"] ** 2 - (2 * np.log(2) - 1) * out["intraday_return"] ** 2
    out["rogers_satchell_d"] = rs
    out["yang_zhang_d"] = (
        out["overnight_return"] ** 2 + YANG_ZHANG_K * out["intraday_return"] ** 2 + (1 - YANG_ZHANG_K) * rs
    )
    out["sq_return_d"] = out["log_return"] ** 2
    out["neg_return_d"] = out["log_return"].clip(upper=0)
    out["log_volume"] = np.log1p(bars["volume"])
    return out


def _rolling(frame: pd.DataFrame, column: str, window: int, how: str) -> pd.Series:
    """A full ``window`` of a symbol's gap segment (NULL returns count as missing values, as in SQL)."""
    segments = frame.groupby(["symbol", "segment"], sort=False)
    rolled = segments[column].rolling(window, min_periods=1)
    result = getattr(rolled, how)().reset_index(level=[0, 1], drop=True).sort_index()
    return result.where(segments.cumcount() + 1 >= window + (column in _RETURN_BASED))


def _vix(bars: pd.DataFrame) -> pd.DataFrame:
    present = sorted(set(bars["symbol"]) & VIX_SYMBOLS)
    if not present:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "vix_level": [], "vix_change": []})
    vix = bars[bars["symbol"] == present[0]].sort_values("date")
    return pd.DataFrame(
        {
            "date": vix["date"].to_numpy(),
            "vix_level": vix["close"].to_numpy(),
            "vix_change": np.log(vix["close"] / vix["close"].shift(1)).to_numpy(),
        }
    )


def compute_daily_features(
    bars: pd.DataFrame, splits: pd.DataFrame | None = None, gap_weekdays: int = DEFAULT_GAP_WEEKDAYS
) -> pd.DataFrame:
    """Daily features of a canonical OHLCV frame (and ``splits``: symbol, date, ratio): same columns and rows as
    the SQL full build."""
    bars = bars.sort_values(["symbol", "date"]).reset_index(drop=True)
    traded = bars[~bars["symbol"].isin(VIX_SYMBOLS)].reset_index(drop=True)
    out = _daily_terms(traded, no_splits() if splits is None else splits, gap_weekdays)
    for name in (*PROXIES, "neg_return"):
        for suffix, window in WINDOWS.items():
            out[f"{name}_{suffix}"] = _rolling(out, f"{name}_d", window, "mean")
    for name in PROXIES:
        for suffix in ("d", *WINDOWS):
            out[f"log_{name}_{suffix}"] = np.log(out[f"{name}_{suffix}"].clip(lower=VARIANCE_FLOOR))
    volume_mean = _rolling(out, "log_volume", VOLUME_WINDOW, "mean")
    volume_sd = _rolling(out, "log_volume", VOLUME_WINDOW, "std")
    out["volume_z"] = ((out["log_volume"] - volume_mean) / volume_sd).where(volume_sd > MIN_VOLUME_SD)
    out = out.merge(_vix(bars), on="date", how="left")
    kept = out[out["previous_date"].notna()]  # every bar but a symbol's first
    return kept.drop(columns=["log_volume", "segment", "previous_date"]).reset_index(drop=True)
