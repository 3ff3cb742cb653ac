"""Mincer-Zarnowitz regression: are the forecasts unbiased and efficient?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from forge_core.evaluation.hac import bartlett_long_run_covariance, default_lag
from forge_core.evaluation.losses import as_vector


@dataclass(frozen=True)
class MincerZarnowitzResult:
    """OLS fit of y_t = α + β f_t + u_t and the HAC Wald test of (α, β) = (0, 1) (χ² with 2 df)."""

    alpha: float
    beta: float
    r_squared: float
    wald_statistic: float
    wald_p_value: float
    n: int


def mincer_zarnowitz(
    y: ArrayLike, f: ArrayLike, horizon: int, *, lag: int | None = None
) -> MincerZarnowitzResult:
    """Regress the proxy y on a constant and the forecast f; test α = 0, β = 1 jointly.

    b = (XᵀX)⁻¹ Xᵀy with X = [1, f]; V = (XᵀX)⁻¹ (n Ω) (XᵀX)⁻¹, Ω the Newey-West long-run covariance of
    x_t u_t with ``lag`` lags (default h - 1: overlapping h-day targets give MA(h - 1) errors).  This is
    statsmodels' OLS with cov_type="HAC" and no small-sample correction.
    W = rᵀ V⁻¹ r with r = (α, β - 1), p-value from χ²(2).  R² = 1 - Σu² / Σ(y - ȳ)².
    """
    y_arr, f_arr = as_vector("y", y), as_vector("f", f)
    if len(y_arr) != len(f_arr):
        raise ValueError(f"y and f differ in length: {len(y_arr)} vs {len(f_arr)}")
    lags = default_lag(horizon, lag)
    n = len(y_arr)
    if n < 3:
        raise ValueError(f"Mincer-Zarnowitz needs at least 3 observations, got {n}")
    if np.ptp(f_arr) == 0.0:
        raise ValueError("f is constant, so the slope of the Mincer-Zarnowitz regression is not identified")
    if np.ptp(y_arr) == 0.0:
        raise ValueError("y is constant, so R² of the Mincer-Zarnowitz regression is not defined")
    x = np.column_stack([np.ones(n), f_arr])
    xtx_inv = np.linalg.inv(x.T @ x)
    coef = xtx_inv @ x.T @ y_arr
    resid = y_arr - x @ coef
    covariance = xtx_inv @ (n * bartlett_long_run_covariance(x * resid[:, None], lags)) @ xtx_inv
    r = coef - np.array([0.0, 1.0])
    wald = float(r @ np.linalg.solve(covariance, r))
    r_squared = 1.0 - float(resid @ resid) / float(np.sum((y_arr - y_arr.mean()) ** 2))
    return MincerZarnowitzResult(
        alpha=float(coef[0]),
        beta=float(coef[1]),
        r_squared=r_squared,
        wald_statistic=wald,
        wald_p_value=float(stats.chi2.sf(wald, df=2)),
        n=n,
    )
