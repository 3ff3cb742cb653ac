"""Paths from a daily log-HAR with bootstrapped residuals (filtered historical simulation).

With :math:`x_t` the day's variance proxy and :math:`\\bar x^{(n)}_t` its mean over the last :math:`n` days,

.. math::

    \\log x_{t+1} = b_0 + b_d \\log x_t + b_w \\log \\bar x^{(5)}_t + b_m \\log \\bar x^{(22)}_t + e_{t+1},
    \\qquad r_{t+1} = k \\sqrt{x_{t+1}}\\, z_{t+1},

fitted by OLS on the training days, :math:`k^2 = \\overline{r_t^2 / x_t}` (the proxy misses the overnight gap) and
:math:`z_t = r_t / (k\\sqrt{x_t})`. A path draws a training day for each step and takes that day's pair
:math:`(e, z)` (their same-day dependence kept), feeding its own simulated :math:`x` back into the averages. The
mean of the first day's variance is :math:`e^{b^\\top d_t}\\,\\overline{e^{e}}`; later days have no closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from forge_core.features.daily import VARIANCE_FLOOR
from forge_core.models.har import ols
from forge_core.paths.simulated_paths import Paths

FloatArray = NDArray[np.float64]
WEEK, MONTH = 5, 22


def _log_har_design(x: FloatArray) -> FloatArray:
    """Rows [1, log x_t, log mean_5, log mean_22] for t = 21 .. n-1 of a daily proxy series."""
    logs = np.log(np.maximum(x, VARIANCE_FLOOR))
    cumulative = np.concatenate([[0.0], np.cumsum(x)])
    t = np.arange(MONTH - 1, len(x))
    week = (cumulative[t + 1] - cumulative[t + 1 - WEEK]) / WEEK
    month = (cumulative[t + 1] - cumulative[t + 1 - MONTH]) / MONTH
    floor = VARIANCE_FLOOR
    return np.column_stack(
        [np.ones(len(t)), logs[t], np.log(np.maximum(week, floor)), np.log(np.maximum(month, floor))]
    )


@dataclass(frozen=True, eq=False)
class LogHarSimulator:
    """A daily log-HAR fitted for simulation: coefficients, the training days' residuals and standardised returns,
    and the return scale :math:`k^2`."""

    coef: FloatArray
    residuals: FloatArray
    shocks: FloatArray
    scale2: float

    @classmethod
    def fit(cls, proxy: FloatArray, returns: FloatArray, name: str) -> LogHarSimulator:
        """Fit on a symbol's training days in order (daily proxy and log returns, no gaps). ValueError naming
        ``name`` when a value is missing or not positive, or the days are too few."""
        x, r = np.asarray(proxy, dtype=float), np.asarray(returns, dtype=float)
        if not (np.isfinite(x).all() and np.isfinite(r).all() and (x > 0).all()):
            raise ValueError(f"{name}: the proxy must be finite and > 0 and the returns finite on every day")
        if len(x) < 2 * MONTH + 20:
            raise ValueError(f"{name}: {len(x)} days, a daily log-HAR needs at least {2 * MONTH + 20}")
        design = _log_har_design(x)[:-1]
        target = np.log(np.maximum(x[MONTH:], VARIANCE_FLOOR))
        coef = ols(design, target).coefficients
        scale2 = float(np.mean(r**2 / x))
        shocks = r[MONTH:] / np.sqrt(scale2 * x[MONTH:])
        return cls(coef, target - design @ coef, shocks, scale2)

    def paths(self, recent: FloatArray, days: int = 22, paths: int = 10_000, seed: int = 0) -> Paths:
        """Simulate from the last ``MONTH`` (22) days of the proxy up to the close. ValueError on fewer days."""
        recent = np.asarray(recent, dtype=float)[-MONTH:]
        if len(recent) < MONTH or not (recent > 0).all():
            raise ValueError(f"paths need the last {MONTH} positive proxy values, got {len(recent)}")
        rng = np.random.default_rng(seed)
        draws = rng.integers(0, len(self.residuals), (days, paths))
        values = np.empty((paths, MONTH + days))
        values[:, :MONTH] = recent
        returns = np.empty((days, paths))
        b0, bd, bw, bm = self.coef
        floor = VARIANCE_FLOOR
        for k in range(days):
            end = MONTH + k
            log_d = np.log(np.maximum(values[:, end - 1], floor))
            log_w = np.log(np.maximum(values[:, end - WEEK : end].mean(axis=1), floor))
            log_m = np.log(np.maximum(values[:, end - MONTH : end].mean(axis=1), floor))
            x = np.exp(b0 + bd * log_d + bw * log_w + bm * log_m + self.residuals[draws[k]])
            values[:, end] = x
            returns[k] = np.sqrt(self.scale2 * x) * self.shocks[draws[k]]
        return Paths(returns.T, self.scale2 * values[:, MONTH:])

    def first_day_mean(self, recent: FloatArray) -> float:
        """The exact mean of the first simulated day's variance (see the module)."""
        design = _log_har_design(np.asarray(recent, dtype=float)[-MONTH:])[-1]
        return float(self.scale2 * np.exp(design @ self.coef) * np.exp(self.residuals).mean())
