"""Backtests of Value-at-Risk and Expected Shortfall forecasts.

With :math:`I_t = 1\\{r_t < -\\mathrm{VaR}_t\\}` the violations of a VaR at tail probability :math:`p` over :math:`n`
days, :math:`x = \\sum I_t` of them:

- Kupiec (1995), proportion of failures: :math:`LR_{pof} = -2\\log\\frac{(1-p)^{n-x}p^x}{(1-\\hat p)^{n-x}\\hat p^x}`,
  :math:`\\hat p = x/n`, asymptotically :math:`\\chi^2_1`;
- Christoffersen (1998), independence: with :math:`n_{ij}` the days in state :math:`j` after a day in state
  :math:`i`, :math:`\\pi_{ij} = n_{ij}/(n_{i0}+n_{i1})` and :math:`\\pi = (n_{01}+n_{11})/(n-1)`,
  :math:`LR_{ind} = -2\\log\\frac{(1-\\pi)^{n_{00}+n_{10}}\\pi^{n_{01}+n_{11}}}
  {(1-\\pi_{01})^{n_{00}}\\pi_{01}^{n_{01}}(1-\\pi_{11})^{n_{10}}\\pi_{11}^{n_{11}}}` (:math:`\\chi^2_1`), and
  conditional coverage :math:`LR_{cc} = LR_{pof} + LR_{ind}` (:math:`\\chi^2_2`);
- McNeil & Frey (2000), ES: on violation days the exceedance residuals
  :math:`e_t = (r_t + \\mathrm{ES}_t)/\\sigma_t` have mean zero when the ES is right; the one-sided test of
  :math:`E[e] < 0` (losses beyond the VaR larger than the ES says) uses a bootstrap of the centred residuals.

Conventions: VaR and ES are positive loss amounts (a return below :math:`-\\mathrm{VaR}` is a violation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
BOOTSTRAP_DRAWS = 5000


def _xlogy(x: float, y: float) -> float:
    """:math:`x \\log y`, 0 when :math:`x = 0` (the likelihoods' :math:`0^0 = 1`)."""
    return 0.0 if x == 0 else x * math.log(y)


@dataclass(frozen=True)
class VarBacktest:
    """The coverage tests of one VaR series: violations, expected violations, the three likelihood ratios and
    their p-values."""

    days: int
    violations: int
    expected: float
    lr_pof: float
    lr_ind: float
    p_pof: float
    p_ind: float
    p_cc: float

    @property
    def lr_cc(self) -> float:
        return self.lr_pof + self.lr_ind


def var_backtest(violations: NDArray[np.bool_], tail: float) -> VarBacktest:
    """Kupiec's and Christoffersen's tests of a day-ordered violation series at tail probability ``tail``.
    ValueError for an empty series or a tail outside (0, 1)."""
    if not 0.0 < tail < 1.0:
        raise ValueError(f"the tail probability must be in (0, 1), got {tail}")
    hits = np.asarray(violations, dtype=bool)
    n = len(hits)
    if n < 2:
        raise ValueError(f"a VaR backtest needs at least 2 days, got {n}")
    x = int(hits.sum())
    share = x / n
    lr_pof = -2.0 * (_xlogy(n - x, 1 - tail) + _xlogy(x, tail) - _xlogy(n - x, 1 - share) - _xlogy(x, share))
    before, after = hits[:-1], hits[1:]
    n00 = int((~before & ~after).sum())
    n01 = int((~before & after).sum())
    n10 = int((before & ~after).sum())
    n11 = int((before & after).sum())
    pi = (n01 + n11) / (n - 1)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    restricted = _xlogy(n00 + n10, 1 - pi) + _xlogy(n01 + n11, pi)
    free = _xlogy(n00, 1 - pi01) + _xlogy(n01, pi01) + _xlogy(n10, 1 - pi11) + _xlogy(n11, pi11)
    lr_ind = max(-2.0 * (restricted - free), 0.0)
    lr_pof = max(lr_pof, 0.0)
    return VarBacktest(
        days=n,
        violations=x,
        expected=tail * n,
        lr_pof=lr_pof,
        lr_ind=lr_ind,
        p_pof=float(stats.chi2.sf(lr_pof, 1)),
        p_ind=float(stats.chi2.sf(lr_ind, 1)),
        p_cc=float(stats.chi2.sf(lr_pof + lr_ind, 2)),
    )


@dataclass(frozen=True)
class EsBacktest:
    """McNeil-Frey: the violations tested, the mean exceedance residual and its one-sided bootstrap p-value
    (small: losses beyond the VaR are larger than the ES forecast)."""

    violations: int
    mean_residual: float
    p_value: float


def es_backtest(
    returns: FloatArray, var: FloatArray, es: FloatArray, scale: FloatArray, seed: int = 0
) -> EsBacktest:
    """McNeil & Frey's test of ES forecasts (positive losses) with each day's return scale ``scale``
    (:math:`\\sigma_t`); p-value NaN with fewer than 2 violations."""
    r, v, e, s = (np.asarray(a, dtype=float) for a in (returns, var, es, scale))
    hit = r < -v
    residuals = (r[hit] + e[hit]) / s[hit]
    if residuals.size < 2:
        return EsBacktest(int(hit.sum()), float(residuals.mean()) if residuals.size else math.nan, math.nan)
    mean = float(residuals.mean())
    centred = residuals - mean
    rng = np.random.default_rng(seed)
    draws = centred[rng.integers(0, centred.size, (BOOTSTRAP_DRAWS, centred.size))].mean(axis=1)
    return EsBacktest(int(hit.sum()), mean, float((draws <= mean).mean()))
