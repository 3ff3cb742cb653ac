"""The ``Combination`` result object every combiner returns (in the style of arch's results)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

WEIGHT_TOLERANCE = 1e-9


def combine_levels(weights: np.ndarray, levels: np.ndarray, space: str = "log") -> np.ndarray:
    """Each row's combination of the members' positive ``levels`` (t, k) with ``weights`` (t, k) on the simplex,
    written once for the walk-forward ensembles, their quantiles and the live sets:

    .. math:: \\hat v_t = \\exp\\Big(\\sum_k w_{tk} \\log f_{tk}\\Big) \\quad (\text{space} = \text{log}),
              \\qquad \\hat v_t = \\sum_k w_{tk} f_{tk} \\quad (\text{space} = \text{level}).
    """
    if space == "log":
        return np.asarray(np.exp(np.einsum("tk,tk->t", weights, np.log(levels))))
    return np.asarray(np.einsum("tk,tk->t", weights, levels))


@dataclass(frozen=True, eq=False)
class Combination:
    """Combined variance forecasts and the member weights behind them, a row per day.

    Parameters
    ----------
    combiner : str
        The registered name of the combiner.
    weights : pandas.DataFrame
        Days x members: :math:`w_{tk} \\ge 0` with :math:`\\sum_k w_{tk} = 1`.
    variance : pandas.Series
        The combined forecast of each day, > 0.
    log_std : pandas.Series, optional
        The predictive standard deviation of the log target (combiners with an uncertainty head), NaN on
        fallback days.
    fallback : pandas.Series of bool
        Days given equal weights because fewer than ``min_history`` realised rows were visible at the last refit.
    refits : pandas.DatetimeIndex
        Days at whose close the combiner was fitted.
    refit_every : str
        The refit calendar (a pandas period alias: ``D``, ``W``, ``M``, ``Q``, ``Y``).
    params : dict
        The combiner's hyperparameters.
    """

    combiner: str
    weights: pd.DataFrame
    variance: pd.Series
    log_std: pd.Series | None
    fallback: pd.Series
    refits: pd.DatetimeIndex
    refit_every: str
    params: dict[str, Any]

    def __post_init__(self) -> None:
        index = self.weights.index
        series = [self.variance, self.fallback] + ([] if self.log_std is None else [self.log_std])
        if not all(s.index.equals(index) for s in series):
            raise ValueError("weights, variance, fallback and log_std must share one index")
        w = self.weights.to_numpy(dtype=float)
        if not (
            np.isfinite(w).all() and (w >= 0).all() and np.allclose(w.sum(1), 1.0, atol=WEIGHT_TOLERANCE)
        ):
            raise ValueError(f"{self.combiner}: weights must be finite, >= 0 and sum to one on every day")
        v = self.variance.to_numpy(dtype=float)
        if not (np.isfinite(v).all() and (v > 0).all()):
            raise ValueError(f"{self.combiner}: combined variances must be finite and > 0")

    @property
    def fallback_days(self) -> int:
        """How many days got equal weights for want of history."""
        return int(self.fallback.sum())
