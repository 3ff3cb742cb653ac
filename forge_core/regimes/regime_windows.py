"""Regimes of walk-forward windows: per symbol, the model fitted on the days before the window, and the filtered
probabilities of the window's days, as the ``regimes`` and ``regime_models`` tables store them.

The filter runs from the first fitting day through the window, so each day's probability uses that day and the days
before it only; the parameters use the days before the window only. The log of the proxy's 5-day mean
(``log_<proxy>_w``, floored like every log feature) is what switches. A window's model, once fitted, is kept
(``regime_models``): a live day inside a window that has not completed yet is filtered with the model fitted at
the window's start (``known``), not refitted every day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.regimes.markov_switching import RegimeParams, filtered_probabilities, fit_regimes

FIT_DAYS = 2500  # the most recent days before a window that fit its model (about ten years)
REGIME_COLUMNS = ["symbol", "date", "window_start", "regimes", "regime", "probability"]
MODEL_COLUMNS = ["symbol", "window_start", "regimes", "proxy", "fit_start", "params"]


@dataclass(frozen=True, eq=False)
class WindowRegimes:
    """Filtered probabilities (``REGIME_COLUMNS``) and the models fitted for them (``MODEL_COLUMNS``, ``params``
    as JSON; the ``known`` models that were reused are not repeated); ``skipped``: "<symbol> before <window
    start>" -> why no model could be fitted there (too short a past, no convergence). A skipped symbol has no
    probabilities in that window: its ``regime_turbulent`` is unknown, which the nets fill with the training median
    and the regime combiners treat as ``UNKNOWN_REGIME``, so one symbol never stops the others."""

    probabilities: pd.DataFrame
    models: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)


def models_by_window(models: pd.DataFrame) -> dict[tuple[str, dt.date], RegimeParams]:
    """(symbol, window start) -> parameters of ``MODEL_COLUMNS`` rows, as ``window_regimes`` takes them back."""
    return {
        (str(r.symbol), r.window_start): RegimeParams.from_json(str(r.params)) for r in models.itertuples()
    }


def window_regimes(
    features: pd.DataFrame,
    windows: Sequence[DateWindow],
    proxy: str = "parkinson",
    regimes: int = 2,
    fit_days: int = FIT_DAYS,
    known: Mapping[tuple[str, dt.date], RegimeParams] | None = None,
) -> WindowRegimes:
    """The regimes of each symbol's days in ``windows`` from daily ``features`` (``symbol``, ``date``,
    ``log_<proxy>_w``; rows before and in the windows), fitting a window's model unless ``known`` holds it for
    (symbol, window start); a symbol and window whose model cannot be fitted is skipped and named (``skipped``)."""
    column = f"log_{proxy}_w"
    frames, models, skipped = [], [], {}
    for symbol, rows in features.sort_values(["symbol", "date"]).groupby("symbol", sort=True):
        series = pd.Series(rows[column].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["date"]))
        for window in windows:
            start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
            inside = (series.index >= start) & (series.index < end)
            if not inside.any():
                continue
            past = series[series.index < start].tail(fit_days)
            params = (known or {}).get((str(symbol), window.start))
            if params is None:
                name = f"{symbol} before {window.start}"
                try:
                    params = fit_regimes(past.rename(name), regimes)
                except ValueError as error:
                    skipped[name] = str(error).removeprefix(f"{name}: ")
                    continue
                first = past.index[0].date()
                models.append((symbol, window.start, regimes, proxy, first, params.to_json()))
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
    fitted = pd.DataFrame(models, columns=MODEL_COLUMNS)
    if not frames:
        return WindowRegimes(pd.DataFrame(columns=REGIME_COLUMNS), fitted, skipped)
    probabilities = pd.concat(frames, ignore_index=True)[REGIME_COLUMNS]
    return WindowRegimes(probabilities.sort_values(["symbol", "date", "regime"]), fitted, skipped)


def month_start(day: dt.date) -> dt.date:
    """The start of the walk-forward window (a calendar month) holding ``day``."""
    return day.replace(day=1)


def day_regimes(
    features: pd.DataFrame,
    days: Sequence[dt.date],
    proxy: str = "parkinson",
    regimes: int = 2,
    fit_days: int = FIT_DAYS,
    known: Mapping[tuple[str, dt.date], RegimeParams] | None = None,
) -> WindowRegimes:
    """The regimes of live ``days``: each filtered with the model of its month's window (from ``known``, else
    fitted on the days before the month, as the window's own partition will be), probabilities of ``days`` only."""
    frames, models, skipped = [], [], {}
    for start in sorted({month_start(d) for d in days}):
        last = max(d for d in days if month_start(d) == start)
        part = window_regimes(
            features, [DateWindow(start, last + dt.timedelta(days=1))], proxy, regimes, fit_days, known
        )
        frames.append(part.probabilities)
        models.append(part.models)
        skipped.update(part.skipped)
    probabilities = pd.concat(frames, ignore_index=True)
    chosen = probabilities[pd.to_datetime(probabilities["date"]).dt.date.isin(set(days))]
    return WindowRegimes(chosen.reset_index(drop=True), pd.concat(models, ignore_index=True), skipped)


def stored_models(
    conn: duckdb.DuckDBPyConnection, starts: Sequence[dt.date], regimes: int, proxy: str
) -> pd.DataFrame:
    """The ``regime_models`` rows (``MODEL_COLUMNS``) of the windows starting at ``starts`` with ``regimes`` regimes
    of ``proxy``."""
    frame = conn.execute(
        "SELECT symbol, window_start, regimes, proxy, fit_start, params FROM regime_models "
        "WHERE list_contains($starts, window_start) AND regimes = $regimes AND proxy = $proxy",
        {"starts": list(starts), "regimes": regimes, "proxy": proxy},
    ).df()
    return frame.assign(
        window_start=pd.to_datetime(frame["window_start"]).dt.date,
        fit_start=pd.to_datetime(frame["fit_start"]).dt.date,
    )
