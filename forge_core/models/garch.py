"""GARCH(1,1) and GJR-GARCH(1,1,1), Student-t errors, fitted by ``arch`` on percent returns r = 100 * log_return:

    r_t = sigma_t * z_t,  z_t ~ standardised t(nu)
    sigma2_{t+1} = omega + (alpha + gamma * 1[r_t < 0]) * r_t^2 + beta * sigma2_t      (gamma = 0 for GARCH)

Zero mean: the variance proxies are raw second moments (sq_return = log_return^2, range estimators assume no
drift), so the model of E[r^2] is the one to match; a daily mean is noise next to daily volatility anyway.

Forecast at t: (1/h) * sum_{k=1..h} E_t[sigma2_{t+k}] / 100^2 (arch's analytic forecast), times the level
factor  c = mean(y_train) / mean(in-sample forecast on the training rows), which maps a close-to-close model onto
a range proxy's level (c ~ 1 for sq_return). The recursion runs over the rows of ``features`` from sigma2_0 =
arch's backcast of the *training* returns, so row t depends on rows <= t only (arch's own ``forecast`` re-derives
the backcast from the first 75 rows given, which would look ahead); pass ~100 earlier rows to warm it up.
A missing return (the first bar after a gap, whose move is not one day's) enters as r_t = 0: no news that day.

``arch`` is imported by the methods that fit and forecast (importing it loads matplotlib when installed): the classes
declare their families without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from forge_core.models.base import Validation, VolatilityModel, WarmStart

PERCENT = 100.0


@dataclass(frozen=True)
class GarchState:
    omega: float  # percent^2
    alpha: float
    gamma: float  # 0 for GARCH
    beta: float
    nu: float
    backcast: float  # sigma2_0 (percent^2) seeding the recursion
    scale: float  # c
    converged: bool
    loglik: float
    n_obs: int


def percent_returns(frame: pd.DataFrame) -> np.ndarray:
    """100 * log_return, 0 where the return is missing (after a gap); an infinite return is an error."""
    r: np.ndarray = PERCENT * frame["log_return"].to_numpy(dtype=float)
    if np.isinf(r).any():
        raise ValueError("garch: log_return has infinite values")
    filled: np.ndarray = np.nan_to_num(r, nan=0.0)
    return filled


MAX_START_PERSISTENCE = 0.99


class GarchModel(VolatilityModel):
    """GARCH(1,1)-t. ``fit(..., warm_start=previous.params())`` starts the optimiser at an earlier window's
    estimates (keys omega, alpha, [gamma,] beta, nu): a refit on 2500 days takes about a third less time."""

    family = "garch"
    description = "GARCH(1,1) with Student-t errors on close-to-close returns, rescaled to the proxy's level."
    State = GarchState
    asymmetry: ClassVar[int] = 0  # arch's ``o``
    path_simulator = "garch"  # its own recursion, from the one-step variance at the close

    def input_columns(self) -> tuple[str, ...]:
        return ("log_return", self.task.daily_column)  # returns, rescaled to the proxy's level

    @property
    def _names(self) -> list[str]:
        return ["omega", "alpha", *(["gamma"] if self.asymmetry else []), "beta", "nu"]

    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> GarchState:
        return self._estimate(train, y, warm_start)

    def _inside_stationarity(self, params: dict[str, float]) -> np.ndarray:
        """Starting values with persistence alpha + gamma/2 + beta pulled to at most 0.99: arch discards
        starting values on its stationarity bound and starts cold, which would lose the warm start."""
        persistence = params["alpha"] + 0.5 * params.get("gamma", 0.0) + params["beta"]
        shrink = min(1.0, MAX_START_PERSISTENCE / persistence) if persistence > 0 else 1.0
        for name in ("alpha", "gamma", "beta"):
            if name in params:
                params[name] *= shrink
        return np.array([params[name] for name in self._names])

    def _estimate(self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None) -> GarchState:
        from arch import arch_model
        from arch.univariate import GARCH
        from arch.utility.exceptions import ConvergenceWarning

        r = percent_returns(train)
        model = arch_model(r, mean="Zero", vol="GARCH", p=1, o=self.asymmetry, q=1, dist="t", rescale=False)
        start = None
        if warm_start is not None:
            missing = [k for k in self._names if k not in warm_start]
            if missing:
                raise ValueError(f"{self.family}: warm_start lacks {missing}")
            start = self._inside_stationarity({k: float(warm_start[k]) for k in self._names})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # recorded as ``converged`` instead
            res = model.fit(disp="off", starting_values=start)
        fitted = dict(zip(self._names, map(float, res.params.to_numpy()), strict=True))
        backcast = float(GARCH().backcast(r))  # what arch used: zero mean, so residuals = returns
        raw = self._mean_variance(r, fitted, backcast)
        ok = np.isfinite(y)
        return GarchState(
            omega=fitted["omega"],
            alpha=fitted["alpha"],
            gamma=fitted.get("gamma", 0.0),
            beta=fitted["beta"],
            nu=fitted["nu"],
            backcast=backcast,
            scale=float(y[ok].mean() / raw[ok].mean()),
            converged=bool(res.convergence_flag == 0),
            loglik=float(res.loglikelihood),
            n_obs=len(r),
        )

    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        s: GarchState = self.state
        fitted = {"omega": s.omega, "alpha": s.alpha, "gamma": s.gamma, "beta": s.beta}
        return s.scale * self._mean_variance(percent_returns(features), fitted, s.backcast)

    def one_step_variance(self, features: pd.DataFrame) -> np.ndarray:
        """sigma2_{t+1} of every row (percent^2, before the level factor): where a simulation of the next days
        starts."""
        s: GarchState = self.state
        fitted = {"omega": s.omega, "alpha": s.alpha, "gamma": s.gamma, "beta": s.beta}
        return self._one_step(percent_returns(features), fitted, s.backcast)

    def _one_step(self, r: np.ndarray, fitted: Mapping[str, float], backcast: float) -> np.ndarray:
        """arch's one-step forecast sigma2_{t+1} (percent^2) of every row, recursion seeded at ``backcast``."""
        from arch.univariate import GARCH

        vol_names = [k for k in self._names if k != "nu"]
        bounds = np.column_stack([np.zeros_like(r), np.full_like(r, np.inf)])  # no clipping: row t sees <= t
        fc = GARCH(p=1, o=self.asymmetry, q=1).forecast(
            np.array([fitted[k] for k in vol_names]), r, backcast, bounds, start=0, horizon=1
        )
        assert fc.forecasts is not None
        one: np.ndarray = fc.forecasts[:, 0]
        return one

    def _mean_variance(self, r: np.ndarray, fitted: Mapping[str, float], backcast: float) -> np.ndarray:
        """(1/h) * sum_{k=1..h} E_t[sigma2_{t+k}] in return units^2 for every row t, recursion seeded at
        ``backcast``. sigma2_{t+1} is arch's one-step forecast; with persistence p = alpha + gamma / 2 + beta
        (symmetric z), E_t[sigma2_{t+1+k}] = omega * sum_{j<k} p^j + p^k * sigma2_{t+1}, which is arch's
        analytic multi-step forecast in closed form (arch loops over rows and steps in Python)."""
        persistence = fitted["alpha"] + 0.5 * fitted.get("gamma", 0.0) + fitted["beta"]
        weight = persistence ** np.arange(self.task.horizon)  # of sigma2_{t+1} in step k+1
        intercept = fitted["omega"] * (np.cumsum(weight) - weight)
        one = self._one_step(r, fitted, backcast)
        mean: np.ndarray = (intercept.mean() + weight.mean() * one) / PERCENT**2
        return mean


class GjrGarchModel(GarchModel):
    """GJR-GARCH(1,1,1)-t: negative returns add gamma * r_t^2 (leverage effect)."""

    family = "gjr_garch"
    description = "GJR-GARCH(1,1,1) with Student-t errors (leverage), rescaled to the proxy's level."
    asymmetry = 1
