"""Prediction intervals of walk-forward windows from the forecasts in the store: what an intervals partition
(target x window) writes to the ``intervals`` table.

Each (symbol, model) series of stored forecasts is calibrated from its start with every method, so a day's
interval is the same whatever range a run covers; the days of the run's windows are kept. A realised value of
zero (a day with high == low) has no log score and counts as not realised.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.evaluation.run_scores import BENCHMARK, window_run_scores
from forge_core.intervals.calibration import DEFAULT_LEVELS, DEFAULT_MIN_SCORES, calibrate
from forge_core.intervals.interval_methods import INTERVAL_METHODS
from forge_core.warehouse.partition_writes import replace_keyed

INTERVAL_COLUMNS = [
    "symbol", "date", "target", "model", "method", "level", "point", "skewed", "lower", "upper", "window_start",
]  # fmt: skip


def window_intervals(
    history: pd.DataFrame,
    target: str,
    horizon: int,
    windows: Sequence[DateWindow],
    methods: Sequence[str] = tuple(INTERVAL_METHODS),
    levels: Sequence[float] = DEFAULT_LEVELS,
    min_scores: int = DEFAULT_MIN_SCORES,
) -> pd.DataFrame:
    """``intervals`` rows for the days of ``windows`` of every (symbol, model) in ``history`` (the store's
    forecasts of ``target``: ``symbol, date, model, forecast, realised``), per method and level, with the point
    each method publishes; a series' days before ``min_scores`` of its scores had realised get none."""
    start, end = pd.Timestamp(windows[0].start), pd.Timestamp(windows[-1].end)
    frames = []
    for (symbol, model), rows in history.groupby(["symbol", "model"], sort=True):
        rows = rows.sort_values("date")
        if not rows["date"].between(start, end, inclusive="left").any():
            continue
        forecast = pd.Series(rows["forecast"].to_numpy(), index=pd.DatetimeIndex(rows["date"]))
        realised = pd.Series(rows["realised"].to_numpy(dtype=float), index=forecast.index)
        realised = realised.where(realised > 0)
        for method in methods:
            intervals = calibrate(forecast, realised, horizon, method, levels=levels, min_scores=min_scores)
            frame = intervals.between(start, end - pd.Timedelta(days=1)).to_frame()
            frames.append(frame.assign(symbol=symbol, model=model))
    if not frames:
        return pd.DataFrame(columns=INTERVAL_COLUMNS)
    out = pd.concat(frames, ignore_index=True).assign(target=target)
    out["window_start"] = window_starts(out["date"], windows)
    return out[INTERVAL_COLUMNS]


def window_starts(dates: pd.Series, windows: Sequence[DateWindow]) -> np.ndarray:
    """The start (``datetime.date``, as the tables store it) of the window of ``windows`` (in date order) each
    of ``dates`` (within them) falls in."""
    starts = pd.DatetimeIndex([pd.Timestamp(w.start) for w in windows])
    first_days = np.array([w.start for w in windows], dtype=object)
    found: np.ndarray = first_days[starts.searchsorted(dates, side="right") - 1]
    return found


def window_scores(
    history: pd.DataFrame,
    realised: pd.DataFrame,
    rows: pd.DataFrame,
    windows: Sequence[DateWindow],
    method: str,
    benchmark: str = BENCHMARK,
) -> pd.DataFrame:
    """``evaluation.run_scores.window_run_scores`` of every (model, symbol) over the days of ``windows``: from
    ``history``'s forecasts (``symbol, date, model, forecast``), the ``method`` bands of ``rows``
    (``window_intervals``) and the targets ``realised`` so far (``symbol, date, realised``, whenever they
    realised: this scores the forecasts, it trains and calibrates nothing)."""
    start, end = pd.Timestamp(windows[0].start), pd.Timestamp(windows[-1].end)
    days = history.loc[
        history["date"].between(start, end, inclusive="left"), ["symbol", "date", "model", "forecast"]
    ]
    forecasts = days.merge(realised, on=["symbol", "date"])
    forecasts["window_start"] = window_starts(forecasts["date"], windows)
    bands = rows.loc[rows["method"] == method].merge(realised, on=["symbol", "date"])
    return window_run_scores(forecasts, bands, benchmark)


def write_window_intervals(
    conn: duckdb.DuckDBPyConnection, target: str, window: DateWindow, rows: pd.DataFrame
) -> int:
    """Replace the (target, window) partition of ``intervals`` by ``rows`` in one transaction; rows written."""
    mine = rows[rows["window_start"] == window.start].assign(
        date=lambda f: pd.to_datetime(f["date"]).dt.date,
        created_at=pd.Timestamp.now(tz="UTC").tz_localize(None),
    )
    (written,) = replace_keyed(conn, {"target": target, "window_start": window.start}, {"intervals": mine})
    return written
