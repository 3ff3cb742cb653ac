"""Log-HAR:  log y_t = b0 + b_d * log x_t + b_w * log x^(w)_t + b_m * log x^(m)_t + e_t  by OLS, with the
``log_<proxy>_d/_w/_m`` feature columns (logs of the day, 5- and 22-day means) and log y floored as they
are. The forecast is the log-normal mean  f_t = exp(fitted_t + s^2 / 2),  s^2 = SSR / (n - 4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forge_core.features.daily import VARIANCE_FLOOR
from forge_core.models.base import Validation, VolatilityModel, WarmStart
from forge_core.models.har import har_design, ols


@dataclass(frozen=True)
class LogHarState:
    const: float
    beta_d: float
    beta_w: float
    beta_m: float
    resid_var: float  # s^2
    n_obs: int

    @property
    def coef(self) -> np.ndarray:
        return np.array([self.const, self.beta_d, self.beta_w, self.beta_m])


class LogHarModel(VolatilityModel):
    """HAR on log variances with the log-normal bias correction."""

    family = "log_har"
    description = "log-HAR: OLS on logs of the same means, with the log-normal bias correction."
    State = LogHarState

    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> LogHarState:
        log_y = np.log(np.maximum(y, VARIANCE_FLOOR))  # NaN targets stay NaN and are left out
        beta, resid_var, n = ols(har_design(train, self.task.proxy, prefix="log_"), log_y)
        const, beta_d, beta_w, beta_m = map(float, beta)
        return LogHarState(const, beta_d, beta_w, beta_m, resid_var=resid_var, n_obs=n)

    def rows_needed(self) -> int:
        """Its features hold their own averages: the last row alone."""
        return 1

    def feature_columns(self) -> list[str]:
        return [f"log_{self.task.proxy}_{s}" for s in ("d", "w", "m")]

    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        state: LogHarState = self.state
        fitted: np.ndarray = har_design(features, self.task.proxy, prefix="log_") @ state.coef
        forecast: np.ndarray = np.exp(fitted + 0.5 * state.resid_var)
        return forecast
