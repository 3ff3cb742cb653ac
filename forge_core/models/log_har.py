"""Log-HAR:  log y_t = b0 + b_d * log x_t + b_w * log x^(w)_t + b_m * log x^(m)_t [+ sum_j c_j log z_{j,t}] + e_t
by OLS, with the ``log_<proxy>_d/_w/_m`` feature columns (logs of the day, 5- and 22-day means) and log y floored
as they are. The forecast is the log-normal mean  f_t = exp(fitted_t + s^2 / 2),  s^2 = SSR / (n - k).

HAR-X: ``exog`` names extra positive panel columns z_j (e.g. ``atm_var_30d``, the option-implied variance, or
``vix_level``) that enter in logs, floored like the variances; a row without one of them has no forecast. Empty
(the default): the plain log-HAR. The columns are saved with the model (its params and ``feature_columns``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forge_core.features.daily import VARIANCE_FLOOR
from forge_core.models.base import Validation, WarmStart
from forge_core.models.har import ExogModel, har_design, ols


@dataclass(frozen=True)
class LogHarState:
    const: float
    beta_d: float
    beta_w: float
    beta_m: float
    resid_var: float  # s^2
    n_obs: int
    beta_x: tuple[float, ...] = field(default=())  # of the exog columns, in order

    def __post_init__(self) -> None:
        object.__setattr__(self, "beta_x", tuple(self.beta_x))  # a list when read back from JSON

    @property
    def coef(self) -> np.ndarray:
        return np.array([self.const, self.beta_d, self.beta_w, self.beta_m, *self.beta_x])


class LogHarModel(ExogModel):
    """HAR on log variances with the log-normal bias correction."""

    family = "log_har"
    description = "log-HAR: OLS on logs of the same means, with the log-normal bias correction (HAR-X: exog)."
    State = LogHarState
    path_simulator = "log_har"  # LogHarSimulator: the log-HAR with its residuals and return link

    def _design(self, features: pd.DataFrame) -> np.ndarray:
        """[1, log d, log w, log m, log z_1, ..] per row (NaN where an exog value is missing or not positive)."""
        base = har_design(features, self.task.proxy, prefix="log_")
        if not self.hyper.columns:
            return base
        z = self.hyper.values(features, self.family)
        return np.column_stack([base, np.log(np.maximum(z, VARIANCE_FLOOR))])

    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> LogHarState:
        log_y = np.log(np.maximum(y, VARIANCE_FLOOR))  # NaN targets stay NaN and are left out
        fit = ols(self._design(train), log_y)
        const, beta_d, beta_w, beta_m, *beta_x = map(float, fit.coefficients)
        return LogHarState(
            const,
            beta_d,
            beta_w,
            beta_m,
            resid_var=fit.residual_variance,
            n_obs=fit.n_obs,
            beta_x=tuple(beta_x),
        )

    def rows_needed(self) -> int:
        """Its features hold their own averages: the last row alone."""
        return 1

    def input_columns(self) -> tuple[str, ...]:
        return tuple(self.feature_columns())

    def feature_columns(self) -> list[str]:
        return [*(f"log_{self.task.proxy}_{s}" for s in ("d", "w", "m")), *self.hyper.columns]

    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        state: LogHarState = self.state
        fitted: np.ndarray = self._design(features) @ state.coef
        forecast: np.ndarray = np.exp(fitted + 0.5 * state.resid_var)
        return forecast
