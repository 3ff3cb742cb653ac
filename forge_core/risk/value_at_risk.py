"""Value-at-Risk and Expected Shortfall of daily returns from variance forecasts.

A model forecasts the variance :math:`f_t` of a range-based proxy, which misses the overnight gap; the return scale is
calibrated on close-to-close returns of the training days, :math:`k^2 = \\overline{r_t^2 / f_t}`, so that
:math:`\\sigma_t = k\\sqrt{f_t}` and the standardised returns :math:`z_t = r_t / \\sigma_t` have unit variance. Their
distribution is either

- ``t``: a Student-t with :math:`\\nu > 2` degrees of freedom fitted by maximum likelihood, scaled to unit variance,
  :math:`z = \\sqrt{(\\nu-2)/\\nu}\\,T_\\nu`, so for a tail :math:`p` with :math:`t_p = F_\\nu^{-1}(p)`

  .. math::

      \\mathrm{VaR}_t = -\\sigma_t \\sqrt{\\tfrac{\\nu-2}{\\nu}}\\, t_p, \\qquad
      \\mathrm{ES}_t = \\sigma_t \\sqrt{\\tfrac{\\nu-2}{\\nu}}\\, \\frac{\\nu + t_p^2}{\\nu - 1}\\,
      \\frac{f_\\nu(t_p)}{p};

- ``fhs`` (filtered historical simulation): the empirical distribution of the training :math:`z`, so
  :math:`\\mathrm{VaR}_t = -\\sigma_t \\hat q_p` and
  :math:`\\mathrm{ES}_t = -\\sigma_t\\,\\overline{z \\mid z \\le \\hat q_p}`.

VaR and ES are positive loss amounts, in return units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

FloatArray = NDArray[np.float64]
Method = Literal["t", "fhs"]
MIN_RESIDUALS = 250


@dataclass(frozen=True)
class ReturnDistribution:
    """The standardised return distribution of one model and symbol: the return scale :math:`k^2`, and the
    Student-t degrees of freedom or the sorted FHS residuals."""

    method: Method
    scale2: float
    dof: float = math.nan
    residuals: tuple[float, ...] = ()

    def value_at_risk(
        self, variance: FloatArray, tails: Sequence[float], name: str = "variance forecast"
    ) -> tuple[FloatArray, FloatArray]:
        """VaR and ES, shaped (days, tails), for forecast variances ``variance``; ValueError naming ``name`` (model,
        symbol, window) and the row whose forecast is not positive."""
        f = np.asarray(variance, dtype=float)
        bad = np.flatnonzero(~(np.isfinite(f) & (f > 0)))
        if bad.size:
            raise ValueError(f"{name}: the forecast must be finite and > 0; row {bad[0]} is {f[bad[0]]}")
        sigma = np.sqrt(self.scale2 * f)[:, None]
        q, shortfall = self._standard(np.asarray(tails, dtype=float))
        return -sigma * q[None, :], sigma * shortfall[None, :]

    def _standard(self, tails: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The unit-variance quantile :math:`q_p` (negative) and the expected shortfall (positive) per tail."""
        if self.method == "t":
            nu = self.dof
            unit = math.sqrt((nu - 2.0) / nu)
            t = stats.t.ppf(tails, nu)
            shortfall = unit * (nu + t**2) / (nu - 1.0) * stats.t.pdf(t, nu) / tails
            return unit * t, shortfall
        z = np.asarray(self.residuals)
        q = np.quantile(z, tails)
        return q, np.array([-z[z <= level].mean() for level in q])


def fit_return_distribution(
    returns: FloatArray, variance: FloatArray, method: Method, name: str
) -> ReturnDistribution:
    """Calibrate the return scale and fit the standardised distribution on training days (returns and the
    forecast variances of those days, NaN rows dropped). ValueError naming ``name`` (model, symbol, window) when
    fewer than ``MIN_RESIDUALS`` days remain or a forecast is not positive."""
    r, f = np.asarray(returns, dtype=float), np.asarray(variance, dtype=float)
    ok = np.isfinite(r) & np.isfinite(f)
    if (f[ok] <= 0).any():
        raise ValueError(f"{name}: a variance forecast is not positive ({f[ok][f[ok] <= 0][0]})")
    if ok.sum() < MIN_RESIDUALS:
        raise ValueError(
            f"{name}: {ok.sum()} days with a return and a forecast, need {MIN_RESIDUALS} to calibrate"
        )
    scale2 = float(np.mean(r[ok] ** 2 / f[ok]))
    z = r[ok] / np.sqrt(scale2 * f[ok])
    if method == "fhs":
        return ReturnDistribution("fhs", scale2, residuals=tuple(np.sort(z).tolist()))
    return ReturnDistribution("t", scale2, dof=unit_t_dof(z))


def unit_t_dof(z: FloatArray) -> float:
    """Maximum-likelihood :math:`\\nu` of the unit-variance Student-t, :math:`z = \\sqrt{(\\nu-2)/\\nu}\\,T_\\nu`,
    searched in (2.05, 200) (towards 200: nearly normal)."""

    def negative_loglik(nu: float) -> float:
        unit = math.sqrt((nu - 2.0) / nu)
        return -float(np.sum(stats.t.logpdf(z / unit, nu) - math.log(unit)))

    found = optimize.minimize_scalar(negative_loglik, bounds=(2.05, 200.0), method="bounded")
    return float(found.x)
