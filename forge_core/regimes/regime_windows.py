"""Regimes of walk-forward windows: per symbol, the model fitted on the days before the window, and the filtered
probabilities of the window's days, as the ``regimes`` table stores them.

The filter runs from the first fitting day through the window, so each day's probability uses that day and the days
before it only; the parameters use the days before the window only. The log of the proxy's 5-day mean
(``log_<proxy>_w``, floored like every log feature) is what switches.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.regimes.markov_switching import filtered_probabilities, fit_regimes

FIT_DAYS = 2500  # the most recent days before a window that fit its model (about ten years)
REGIME_COLUMNS = ["symbol", "date", "window_start", "regimes", "regime", "probability"]


def window_regimes(
    features: pd.DataFrame,
    windows: Sequence[DateWindow],
    proxy: str = "parkinson",
    regimes: int = 2,
    fit_days: int = FIT_DAYS,
) -> pd.DataFrame:
    """``REGIME_COLUMNS`` rows (one per symbol, day of a window and regime) from daily ``features`` (``symbol``,
    ``date``, ``log_<proxy>_w``; rows before and in the windows). ValueError naming the symbol and window whose
    past is too short to fit."""
    column = f"log_{proxy}_w"
    frames = []
    for symbol, rows in features.sort_values(["symbol", "date"]).groupby("symbol", sort=True):
        series = pd.Series(rows[column].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["date"]))
        for window in windows:
            start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
            inside = (series.index >= start) & (series.index < end)
            if not inside.any():
                continue
            past = series[series.index < start].tail(fit_days)
            params = fit_regimes(past.rename(f"{symbol} before {window.start}"), regimes)
            probabilities = filtered_probabilities(
                params, series[(series.index >= past.index[0]) & (series.index < end)]
            )
            kept = probabilities[probabilities.index >= start]
            long = kept.reset_index(names="date").melt(
                id_vars="date", var_name="regime", value_name="probability"
            )
            frames.append(
                long.assign(
                    symbol=symbol,
                    window_start=window.start,
                    regimes=regimes,
                    regime=long["regime"].str.removeprefix("regime_").astype(int),
                )
            )
    if not frames:
        return pd.DataFrame(columns=REGIME_COLUMNS)
    return pd.concat(frames, ignore_index=True)[REGIME_COLUMNS].sort_values(["symbol", "date", "regime"])
