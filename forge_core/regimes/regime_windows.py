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
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.regimes.markov_switching import RegimeParams, filtered_probabilities, fit_regimes

FIT_DAYS = 2500  # the most recent days before a window that fit its model (about ten years)
REGIME_COLUMNS = ["symbol", "date", "window_start", "regimes", "regime", "probability"]
# fewer fits than this per worker are fitted in-process: starting a process costs about as much
POOL_MIN_FITS = 8
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


def fitted_models(
    pasts: Mapping[tuple[str, dt.date], pd.Series], regimes: int = 2, workers: int = 1
) -> dict[tuple[str, dt.date], RegimeParams | str]:
    """(symbol, window start) -> the model fitted on that past (``fit_regimes``, seeded: the same model whatever
    process fits it), or why none could be. With ``workers`` > 1 and more than ``POOL_MIN_FITS`` fits per worker,
    the fits run in that many spawned processes (each fit is independent; the fork of a process holding torch or
    DuckDB threads is not safe); a daemonic process, which may not start children, fits them itself."""
    keys = sorted(pasts)
    names = [pasts[key].rename(f"{key[0]} before {key[1]}") for key in keys]
    if workers <= 1 or len(keys) < POOL_MIN_FITS * workers or multiprocessing.current_process().daemon:
        fits = [_fit_or_reason(name, regimes) for name in names]
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            fits = list(pool.map(_fit_or_reason, names, [regimes] * len(names), chunksize=POOL_MIN_FITS))
    return dict(zip(keys, fits, strict=True))


def _fit_or_reason(past: pd.Series, regimes: int) -> RegimeParams | str:
    try:
        return fit_regimes(past, regimes)
    except ValueError as error:
        return str(error).removeprefix(f"{past.name}: ")


def window_regimes(
    features: pd.DataFrame,
    windows: Sequence[DateWindow],
    proxy: str = "parkinson",
    regimes: int = 2,
    fit_days: int = FIT_DAYS,
    known: Mapping[tuple[str, dt.date], RegimeParams] | None = None,
    workers: int = 1,
) -> WindowRegimes:
    """The regimes of each symbol's days in ``windows`` from daily ``features`` (``symbol``, ``date``,
    ``log_<proxy>_w``; rows before and in the windows), fitting a window's model unless ``known`` holds it for
    (symbol, window start), on up to ``workers`` processes (``fitted_models``); a symbol and window whose model
    cannot be fitted is skipped and named (``skipped``)."""
    column = f"log_{proxy}_w"
    # (symbol, window start) -> (the past that fits its model, the days through the window's end)
    series: dict[tuple[str, dt.date], tuple[pd.Series, pd.Series]] = {}
    for symbol, rows in features.sort_values(["symbol", "date"]).groupby("symbol", sort=True):
        values = pd.Series(rows[column].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["date"]))
        for window in windows:
            start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
            if ((values.index >= start) & (values.index < end)).any():
                past = values[values.index < start].tail(fit_days)
                series[(str(symbol), window.start)] = (past, values[values.index < end])
    params = dict(known or {})
    wanted = {key: past for key, (past, _) in series.items() if key not in params}
    models, skipped = [], {}
    for (symbol, start), fit in fitted_models(wanted, regimes, workers).items():
        if isinstance(fit, str):
            skipped[f"{symbol} before {start}"] = fit
            continue
        params[(symbol, start)] = fit
        models.append((symbol, start, regimes, proxy, wanted[(symbol, start)].index[0].date(), fit.to_json()))
    frames = []
    for (symbol, start), (past, through) in series.items():
        if (symbol, start) not in params:
            continue
        probabilities = filtered_probabilities(
            params[(symbol, start)], through[through.index >= past.index[0]]
        )
        kept = probabilities[probabilities.index >= pd.Timestamp(start)]
        long = kept.reset_index(names="date").melt(
            id_vars="date", var_name="regime", value_name="probability"
        )
        frames.append(
            long.assign(
                symbol=symbol,
                window_start=start,
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
    workers: int = 1,
) -> WindowRegimes:
    """The regimes of live ``days``: each filtered with the model of its month's window (from ``known``, else
    fitted on the days before the month, as the window's own partition will be), probabilities of ``days`` only."""
    frames, models, skipped = [], [], {}
    for start in sorted({month_start(d) for d in days}):
        last = max(d for d in days if month_start(d) == start)
        part = window_regimes(
            features,
            [DateWindow(start, last + dt.timedelta(days=1))],
            proxy,
            regimes,
            fit_days,
            known,
            workers,
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
