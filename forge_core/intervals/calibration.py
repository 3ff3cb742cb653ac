"""``calibrate``: conformal prediction intervals for one series of variance forecasts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from forge_core.intervals.calibrated_intervals import Intervals
from forge_core.intervals.feedback import run_delayed
from forge_core.intervals.interval_methods import DEFAULT_METHOD, method_class
from forge_core.intervals.log_scores import ScoreSides
from forge_core.quantiles import INTERVAL_LEVELS, checked_levels

DEFAULT_LEVELS: tuple[float, ...] = INTERVAL_LEVELS
# Days before the first interval: one trading year of realised scores.
DEFAULT_MIN_SCORES = 250


def _check_inputs(forecast: pd.Series, realised: pd.Series, horizon: int, min_scores: int) -> None:
    if not isinstance(forecast, pd.Series) or not isinstance(realised, pd.Series):
        raise ValueError("forecast and realised must be pandas Series indexed by date")
    if horizon < 1 or min_scores < 1:
        raise ValueError(f"horizon and min_scores must be >= 1, got {horizon} and {min_scores}")
    days = forecast.index
    if len(realised) != len(days) or not realised.index.equals(days):
        mismatched = [a for a, b in zip(days, realised.index, strict=False) if a != b]
        where = f"first at {mismatched[0]}" if mismatched else f"lengths {len(days)} and {len(realised)}"
        raise ValueError(f"realised must have the forecast's index; they differ ({where})")
    order = np.flatnonzero(~(days[1:] > days[:-1]))
    if order.size:
        raise ValueError(
            f"forecast days must be strictly increasing; day {days[order[0] + 1]} follows {days[order[0]]}"
        )
    f, y = forecast.to_numpy(dtype=float), realised.to_numpy(dtype=float)
    bad = np.flatnonzero(~(np.isfinite(f) & (f > 0)))
    if bad.size:
        raise ValueError(f"forecast variance must be finite and > 0; on {days[bad[0]]} it is {f[bad[0]]}")
    bad = np.flatnonzero(~np.isnan(y) & ~(np.isfinite(y) & (y > 0)))
    if bad.size:
        raise ValueError(
            f"realised variance must be > 0 (or NaN if unknown); on {days[bad[0]]} it is {y[bad[0]]}"
        )


def calibrate(
    forecast: pd.Series,
    realised: pd.Series,
    horizon: int,
    method: str = DEFAULT_METHOD,
    *,
    levels: Sequence[float] = DEFAULT_LEVELS,
    params: Any = None,
    symmetric: bool = False,
    min_scores: int = DEFAULT_MIN_SCORES,
) -> Intervals:
    """Conformal prediction intervals for ``forecast`` from its own past log scores :math:`\\log(y_t / f_t)`, and
    the point the calibration corrects it to (its supported bias correction, see ``log_scores``).

    Parameters
    ----------
    forecast : pandas.Series
        Variance forecasts (> 0) of one symbol, made at the close of each day of a strictly increasing index of
        consecutive trading days, each for the mean variance over the next ``horizon`` days.
    realised : pandas.Series
        The realised target of each row, same index; NaN where not (yet) realised.
    horizon : int
        :math:`h`: row :math:`i` is realised at the close of row :math:`i + h`, and only then used.
    method : str
        A name in ``INTERVAL_METHODS``: ``split`` or ``pid`` (default ``DEFAULT_METHOD``, ``pid``).
    levels : sequence of float
        Central coverages, strictly increasing in (0, 1).
    params : the method's ``Params``, optional
        Defaults to ``Params()``.
    symmetric : bool
        Calibrate :math:`|s|` instead of the two sides of :math:`s` (see ``log_scores``).
    min_scores : int
        Intervals start on the first day by whose close this many scores have been realised; the days before
        get none (``Intervals.warmup_days`` counts them).

    Raises
    ------
    ValueError
        On a misaligned or unsorted index, a non-positive or non-finite forecast, or a non-positive realisation,
        naming the first offending day.
    """
    _check_inputs(forecast, realised, horizon, min_scores)
    sides = ScoreSides(tuple(map(float, checked_levels(levels))), symmetric)
    cls = method_class(method)
    scores = np.log(realised.to_numpy(dtype=float)) - np.log(forecast.to_numpy(dtype=float))
    delayed = run_delayed(
        cls(cls.Params() if params is None else params, sides), sides.content(scores), horizon, min_scores
    )
    first = int(np.searchsorted(delayed.realised_scores, min_scores))
    days = forecast.index[first:]
    columns = pd.Index(sides.levels, name="level")
    return Intervals(
        method=method,
        horizon=horizon,
        levels=sides.levels,
        forecast=forecast.iloc[first:],
        log_point=pd.Series(delayed.log_mean[first:], index=days, name="log_point"),
        log_lower=pd.DataFrame(delayed.lower[first:], index=days, columns=columns),
        log_upper=pd.DataFrame(delayed.upper[first:], index=days, columns=columns),
        realised_scores=pd.Series(delayed.realised_scores[first:], index=days, name="realised_scores"),
        warmup_days=first,
    )
