"""The fans a live set implies from the close of a day: what ``forecast_paths`` publishes per symbol.

A GARCH-family set simulates each symbol's saved model from its one-step variance filtered through the returns up
to the close (``garch_paths``). A log-HAR set simulates ``LogHarSimulator``, fitted on the symbol's rows up to the
set's ``trained_through``: the rows its model was trained on, never one after the retraining, so the fan of a day
depends only on the registered version and the history up to that day (and re-running a day gives the same rows:
the seed is drawn from the symbol and the day). Other families have no simulation (``simulates``).

The variance of a path is the close-to-close return variance of a day (the GARCH families model returns; the
log-HAR scales its range proxy by :math:`k^2`, which carries the overnight gap).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forge_core.forecasting.restarts import restarting, since_last_gap
from forge_core.live.daily_publication import PublishedSet
from forge_core.live.fitted_set import FittedSet
from forge_core.models.base import VolatilityModel
from forge_core.models.garch import GarchModel
from forge_core.paths.log_har_paths import LogHarSimulator
from forge_core.paths.simulated_paths import Paths, garch_paths
from forge_core.quantiles import QUANTILE_COLUMNS

PATH_DAYS = 22
PATH_COUNT = 10_000
PATH_COLUMNS = [
    "symbol", "as_of", "target", "model", "role", "model_version", "quantity", "day", *QUANTILE_COLUMNS, "mean",
]  # fmt: skip


def why_no_paths(fitted: FittedSet) -> str | None:
    """Why ``fitted`` cannot simulate paths, or None when it can: only family sets whose family declares a
    ``path_simulator`` (the GARCH families and log-HAR) carry one."""
    if fitted.is_ensemble:
        return "an ensemble: its members' paths are not combined"
    if not all(m.path_simulator in SIMULATORS for m in fitted.models.values()):
        return f"no path simulator for this family (these families have one: {', '.join(SIMULATORS)})"
    return None


def simulates(fitted: FittedSet) -> bool:
    """Whether ``fitted`` is a family set whose models can simulate paths (``why_no_paths``)."""
    return why_no_paths(fitted) is None


def path_seed(symbol: str, day: dt.date) -> int:
    """The seed of a symbol's paths from a day's close: the same rows on every re-run."""
    return zlib.crc32(f"{symbol}|{day.isoformat()}".encode())


def set_paths(
    fitted: FittedSet,
    histories: Mapping[str, pd.DataFrame],
    days: int = PATH_DAYS,
    paths: int = PATH_COUNT,
) -> dict[str, Paths]:
    """Per symbol of ``histories`` (its feature rows up to the close, oldest first, whole history) the set has a
    model for, ``paths`` paths of the next ``days`` days; a symbol whose close is restarting after a gap
    (``forge_core.forecasting.restarts``) has no fan that day, and a log-HAR simulator learns from the days since
    the last gap. ValueError naming the set and symbol when a history cannot start a simulation (a missing return
    or proxy value, too few training rows)."""
    if not simulates(fitted):
        raise ValueError(f"{fitted.member} ({fitted.target}): no path simulation for this family or ensemble")
    out = {}
    for symbol, history in histories.items():
        if symbol not in fitted.models or restarting(history["log_return"])[-1]:
            continue
        day = pd.Timestamp(history["date"].iloc[-1]).date()
        seed = path_seed(symbol, day)
        name = f"{fitted.member} ({fitted.target}, version fitted {fitted.as_of}) {symbol} on {day}"
        model = fitted.models[symbol]
        draw = SIMULATORS[str(model.path_simulator)]
        try:
            out[symbol] = draw(Simulation(model, fitted, symbol, history, name), days, paths, seed)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    return out


@dataclass(frozen=True)
class Simulation:
    """What a simulator starts from: one symbol's saved model in its set, its history up to the close, its name."""

    model: VolatilityModel
    fitted: FittedSet
    symbol: str
    history: pd.DataFrame
    name: str


def _garch(start: Simulation, days: int, paths: int, seed: int) -> Paths:
    """The GARCH recursion of the saved model from its one-step variance filtered through the returns to the close."""
    model = start.model
    assert isinstance(model, GarchModel), "path_simulator 'garch' is declared by the GARCH families only"
    return garch_paths(model.state, float(model.one_step_variance(start.history)[-1]), days, paths, seed)


def _log_har(start: Simulation, days: int, paths: int, seed: int) -> Paths:
    """``LogHarSimulator`` fitted on the symbol's rows up to the set's ``trained_through``, since the last gap."""
    column = f"{start.fitted.proxy}_d"
    history = start.history
    trained = since_last_gap(
        history[history["date"] <= pd.Timestamp(start.fitted.symbols[start.symbol].trained_through)]
    )
    simulator = LogHarSimulator.fit(
        trained[column].to_numpy(dtype=float), trained["log_return"].to_numpy(dtype=float), start.name
    )
    return simulator.paths(history[column].to_numpy(dtype=float), days, paths, seed)


# one declaration per simulator; a family names its own in ``VolatilityModel.path_simulator``
SIMULATORS: dict[str, Callable[[Simulation, int, int, int], Paths]] = {"garch": _garch, "log_har": _log_har}


def fan_rows(paths: Mapping[str, Paths]) -> pd.DataFrame:
    """Each symbol's fan (``Paths.fan``) with the mean over paths: columns ``symbol, quantity, day, q05 .. q95,
    mean``."""
    frames = []
    for symbol, simulated in paths.items():
        fan = simulated.fan()
        means = {
            "cumulative_return": simulated.cumulative_returns.mean(axis=0),
            "variance": simulated.mean_variance,
        }
        fan["mean"] = np.concatenate([means[q] for q in fan["quantity"].unique()])
        frames.append(fan.assign(symbol=symbol))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["symbol", *out.columns.drop("symbol")]]


def day_fans(
    sets: Sequence[PublishedSet],
    histories: Mapping[str, pd.DataFrame],
    day: dt.date,
    days: int = PATH_DAYS,
    paths: int = PATH_COUNT,
) -> pd.DataFrame:
    """The ``forecast_paths`` rows of ``day`` (without ``created_at``): the fans of every set among ``sets`` that
    ``simulates``, under its role, for the symbols it has a model for."""
    frames = []
    for published in sets:
        fitted = published.fitted
        if not simulates(fitted):
            continue
        fans = fan_rows(set_paths(fitted, histories, days, paths))
        if fans.empty:
            continue
        frames.append(
            fans.assign(
                as_of=day,
                target=fitted.target,
                model=fitted.member,
                role=published.role,
                model_version=published.version,
            )
        )
    if not frames:
        return pd.DataFrame(columns=PATH_COLUMNS)
    return pd.concat(frames, ignore_index=True)[PATH_COLUMNS]
