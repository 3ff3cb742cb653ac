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

from forge_core.evaluation.losses import qlike
from forge_core.intervals import band_rules

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


SERIES = ["symbol", "target", "model", "method"]


def band_coherence(intervals: pd.DataFrame) -> pd.DataFrame:
    """Per (symbol, target, model, method) of ``intervals`` rows (``level, lower, upper, point, skewed``), the
    days and the shares of them whose bands, as produced, are ``incoherent`` (levels not nested, or the innermost
    upper end not strictly below the outermost), whose point lies ``outside_50`` (outside the innermost band) and
    which are flagged ``skewed``. Every day of a series must have the same levels."""
    frames = []
    for keys, rows in intervals.groupby(SERIES, sort=True):
        rows = rows.sort_values(["date", "level"])
        k = rows["level"].nunique()
        lower, upper = (rows[c].to_numpy(dtype=float).reshape(-1, k) for c in ("lower", "upper"))
        point = rows["point"].to_numpy(dtype=float).reshape(-1, k)[:, 0]
        bad = band_rules.incoherent(lower, upper)
        outside = band_rules.skewed(point, lower[:, 0], upper[:, 0])
        skewed = rows["skewed"].to_numpy(dtype=bool).reshape(-1, k)[:, 0]
        frames.append(
            dict(zip(SERIES, keys, strict=True))
            | {
                "days": len(point),
                "incoherent": float(bad.mean()),
                "outside_50": float(outside.mean()),
                "skewed": float(skewed.mean()),
            }
        )
    return pd.DataFrame(frames, columns=[*SERIES, "days", "incoherent", "outside_50", "skewed"])


def point_scores(intervals: pd.DataFrame, realised: pd.DataFrame, method: str) -> pd.DataFrame:
    """QLIKE of the raw forecast and of the point ``method`` publishes (the bias-corrected forecast) per (symbol,
    target, model), on the days that have both and a realised, positive target: ``realised`` holds ``symbol, date,
    target, model, forecast, realised``."""
    points = intervals.loc[intervals["method"] == method, ["symbol", "date", "target", "model", "point"]]
    rows = (
        points.assign(date=pd.to_datetime(points["date"]))
        .drop_duplicates(["symbol", "date", "target", "model"])
        .merge(
            realised.assign(date=pd.to_datetime(realised["date"])), on=["symbol", "date", "target", "model"]
        )
    )
    rows = rows[rows["realised"] > 0]
    y = rows["realised"].to_numpy(dtype=float)
    return (
        rows.assign(
            qlike_raw=qlike(y, rows["forecast"].to_numpy(dtype=float)),
            qlike_point=qlike(y, rows["point"].to_numpy(dtype=float)),
        )
        .groupby(["symbol", "target", "model"], as_index=False)
        .agg(days=("realised", "size"), qlike_raw=("qlike_raw", "mean"), qlike_point=("qlike_point", "mean"))
        .assign(ratio=lambda f: f["qlike_point"] / f["qlike_raw"])
    )
