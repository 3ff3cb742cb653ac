"""Newey-West (Bartlett kernel) heteroskedasticity and autocorrelation consistent long-run covariance."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def bartlett_long_run_covariance(v: NDArray[np.float64], lag: int) -> NDArray[np.float64]:
    """Long-run covariance (k x k) of the rows of ``v`` (n x k, or n), which the caller has centred.

    Ω = Γ_0 + Σ_{j=1..L} (1 - j/(L+1)) (Γ_j + Γ_jᵀ),  Γ_j = (1/n) Σ_{t=j+1..n} v_t v_{t-j}ᵀ,  L = ``lag``.
    The Bartlett weights keep Ω positive semi-definite.
    """
    rows = np.asarray(v, dtype=np.float64).reshape(len(v), -1)
    n = rows.shape[0]
    if not 0 <= lag < n:
        raise ValueError(f"HAC lag must be in [0, n) with n = {n}, got {lag}")
    omega = rows.T @ rows / n
    for j in range(1, lag + 1):
        gamma = rows[j:].T @ rows[:-j] / n
        omega += (1.0 - j / (lag + 1)) * (gamma + gamma.T)
    return omega


def default_lag(horizon: int, lag: int | None) -> int:
    """The HAC lag for h-step forecasts: ``lag`` if given (it must be >= h - 1), else h - 1.

    Errors of optimal h-step forecasts are at most MA(h - 1), so h - 1 lags is the least that covers them.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if lag is None:
        return horizon - 1
    if lag < horizon - 1:
        raise ValueError(f"lag must be >= horizon - 1 = {horizon - 1}, got {lag}")
    return lag
