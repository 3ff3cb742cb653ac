"""Scores of stored prediction intervals against the realised targets: coverage, width and the interval (Winkler)
score per (symbol, target, model, method, level), overall and per calendar year, on the log scale.

For a central interval :math:`[l_t, u_t]` of nominal level :math:`1 - \\alpha` and realised :math:`y_t`, with
everything in logs, the Winkler score is

.. math::

    W_t = (u_t - l_t) + \\frac{2}{\\alpha} \\big( (l_t - y_t)^+ + (y_t - u_t)^+ \\big),

lower is better; its mean rewards narrow bands only while they keep their coverage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

KEYS = ["symbol", "target", "model", "method", "level"]


@dataclass(frozen=True)
class IntervalReport:
    """``overall``: one row per (symbol, target, model, method, level); ``yearly``: the same per year."""

    overall: pd.DataFrame
    yearly: pd.DataFrame


def scored_intervals(intervals: pd.DataFrame, realised: pd.DataFrame) -> pd.DataFrame:
    """``intervals`` rows joined with ``realised`` (``symbol, date, target, realised``) where the target is
    realised and positive, with ``covered``, ``log_width`` and ``winkler`` per row."""
    rows = intervals.assign(date=pd.to_datetime(intervals["date"])).merge(
        realised.assign(date=pd.to_datetime(realised["date"])), on=["symbol", "date", "target"]
    )
    rows = rows[rows["realised"] > 0]
    log_y, low, high = (np.log(rows[c].to_numpy(dtype=float)) for c in ("realised", "lower", "upper"))
    alpha = 1.0 - rows["level"].to_numpy(dtype=float)
    miss = np.maximum(low - log_y, 0.0) + np.maximum(log_y - high, 0.0)
    return rows.assign(
        covered=(low <= log_y) & (log_y <= high),
        log_width=high - low,
        winkler=high - low + 2.0 / alpha * miss,
        year=rows["date"].dt.year,
    )


def _summary(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return (
        rows.groupby(keys, sort=True)
        .agg(
            n=("covered", "size"),
            coverage=("covered", "mean"),
            log_width=("log_width", "mean"),
            winkler=("winkler", "mean"),
        )
        .reset_index()
    )


def evaluate_intervals(intervals: pd.DataFrame, realised: pd.DataFrame) -> IntervalReport:
    """Coverage, mean log width and mean Winkler score of every interval series, overall and per year."""
    rows = scored_intervals(intervals, realised)
    return IntervalReport(_summary(rows, KEYS), _summary(rows, [*KEYS, "year"]))
