"""Diebold-Mariano test of equal predictive accuracy, with the Harvey-Leybourne-Newbold correction."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from forge_core.evaluation.hac import bartlett_long_run_covariance, default_lag
from forge_core.evaluation.losses import as_vector


@dataclass(frozen=True)
class DieboldMarianoResult:
    """HLN-corrected DM statistic (negative: model a has the lower loss), two-sided p-value, mean of d, HAC lag."""

    statistic: float
    p_value: float
    mean_difference: float
    lag: int
    n: int


def diebold_mariano(
    loss_a: ArrayLike, loss_b: ArrayLike, horizon: int, *, lag: int | None = None
) -> DieboldMarianoResult:
    """Test H0: E[d_t] = 0 for the loss differential d_t = loss_a_t - loss_b_t of h-step forecasts.

    DM = d̄ / sqrt(Ω / n), Ω the Newey-West (Bartlett) long-run variance of d with L = ``lag`` lags
    (default h - 1; a larger one may be passed).  Harvey, Leybourne and Newbold (1997):
    DM* = DM sqrt((n + 1 - 2h + h(h-1)/n) / n) = DM sqrt((n-h)(n-h+1)) / n, compared with Student t(n-1).
    If d is constant the statistic is 0 (p = 1) when d ≡ 0 and ±inf (p = 0) otherwise.
    """
    a, b = as_vector("loss_a", loss_a), as_vector("loss_b", loss_b)
    if len(a) != len(b):
        raise ValueError(f"loss_a and loss_b differ in length: {len(a)} vs {len(b)}")
    lags = default_lag(horizon, lag)
    d = a - b
    n = len(d)
    if n <= horizon:
        raise ValueError(f"Diebold-Mariano needs more observations than the horizon: n = {n}, h = {horizon}")
    mean_d = float(d.mean())
    if np.ptp(d) == 0.0:
        statistic = 0.0 if mean_d == 0.0 else math.copysign(math.inf, mean_d)
        return DieboldMarianoResult(statistic, float(statistic == 0.0), mean_d, lags, n)
    long_run_variance = float(bartlett_long_run_covariance(d - mean_d, lags)[0, 0])
    dm = mean_d / math.sqrt(long_run_variance / n)
    statistic = dm * math.sqrt((n - horizon) * (n - horizon + 1)) / n
    p_value = float(2.0 * stats.t.sf(abs(statistic), df=n - 1))
    return DieboldMarianoResult(statistic, p_value, mean_d, lags, n)
