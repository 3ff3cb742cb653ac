"""HAR (Corsi 2009) in levels:  y_t = b0 + b_d * x_t + b_w * x^(w)_t + b_m * x^(m)_t + e_t,

where x = ``<proxy>_d`` and x^(w), x^(m) its 5- and 22-day means, fitted by OLS. OLS in levels can
forecast a negative variance, so forecasts are floored at the smallest positive training target."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forge_core.models.base import Validation, VolatilityModel, WarmStart


def har_design(features: pd.DataFrame, proxy: str, prefix: str = "") -> np.ndarray:
    """Columns [1, x_d, x_w, x_m] of ``{prefix}{proxy}_d/_w/_m`` (NaN where a window is incomplete)."""
    cols = [f"{prefix}{proxy}_{s}" for s in ("d", "w", "m")]
    x = features[cols].to_numpy(dtype=float)
    return np.column_stack([np.ones(len(x)), x])


def ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, int]:
    """OLS of y on x over rows where both are finite: (coefficients, residual variance SSR/(n-k), n)."""
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    n, k = int(ok.sum()), x.shape[1]
    if n <= 2 * k:
        raise ValueError(f"HAR needs more than {2 * k} complete training rows, got {n}")
    beta, *_ = np.linalg.lstsq(x[ok], y[ok], rcond=None)
    resid = y[ok] - x[ok] @ beta
    return beta, float(resid @ resid / (n - k)), n


@dataclass(frozen=True)
class HarState:
    const: float
    beta_d: float
    beta_w: float
    beta_m: float
    floor: float  # forecasts below this are raised to it
    n_obs: int

    @property
    def coef(self) -> np.ndarray:
        return np.array([self.const, self.beta_d, self.beta_w, self.beta_m])


class HarModel(VolatilityModel):
    """Linear HAR on the variance proxy in levels."""

    family = "har"
    description = "HAR (Corsi 2009): OLS of the target on the proxy's 1-, 5- and 22-day means."
    State = HarState

    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> HarState:
        beta, _, n = ols(har_design(train, self.task.proxy), y)
        positive = y[np.isfinite(y) & (y > 0)]
        if positive.size == 0:
            raise ValueError("har: no positive training target to floor forecasts at")
        const, beta_d, beta_w, beta_m = map(float, beta)
        return HarState(const, beta_d, beta_w, beta_m, floor=float(positive.min()), n_obs=n)

    def rows_needed(self) -> int:
        """Its features hold their own averages: the last row alone."""
        return 1

    def feature_columns(self) -> list[str]:
        return [f"{self.task.proxy}_{s}" for s in ("d", "w", "m")]

    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        state: HarState = self.state
        forecast: np.ndarray = np.maximum(har_design(features, self.task.proxy) @ state.coef, state.floor)
        return forecast
