"""Log scores of variance forecasts and the one-sided quantile problems that turn them into intervals.

The score of row :math:`t` is :math:`s_t = \\log y_t - \\log f_t` (realised over forecast variance). A central
interval of level :math:`c` and miss rate :math:`\\alpha = 1 - c` is :math:`[f_t e^{\\ell_t}, f_t e^{u_t}]`, from
either

- two one-sided quantiles (``symmetric=False``, the default): :math:`u_t` the upper :math:`1 - \\alpha/2` quantile
  of :math:`s` and :math:`-\\ell_t` the upper :math:`1 - \\alpha/2` quantile of :math:`-s`; or
- one quantile of :math:`|s|` (``symmetric=True``): :math:`u_t = -\\ell_t`, the upper :math:`1 - \\alpha` quantile.

Either way every method only tracks *upper* quantiles: column :math:`c` of a calibration is the upper
:math:`1 - \\tau_c` quantile of :math:`\\sigma_c x`, with :math:`x = s` or :math:`|s|` and :math:`\\sigma_c = \\pm 1`.
The benchmark (``benchmarks/intervals.py``) measured both on the bundled backtest: at the same 0.90 coverage,
two-sided bands are 13-15% narrower in log width for every method at h = 1 and 5 (tuning and test years) and at
h = 22 on the tuning years; at h = 22 on the test years 4-5% narrower for ACI and PID and 1% wider for split. Log
scores of a variance are skewed (a long left tail from quiet days) and off-centre where a model is biased.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ScoreSides:
    """The columns of a calibration at ``levels`` (increasing central coverages in (0, 1)).

    Two-sided: columns ``0..K-1`` bound the lower ends (:math:`\\sigma = -1`), ``K..2K-1`` the upper ends
    (:math:`\\sigma = +1`), each with tail :math:`\\tau = (1 - c)/2`; symmetric: ``K`` columns, :math:`\\sigma = +1`,
    :math:`\\tau = 1 - c`.
    """

    levels: tuple[float, ...]
    symmetric: bool

    @property
    def signs(self) -> tuple[float, ...]:
        """:math:`\\sigma_c` per column."""
        k = len(self.levels)
        return (1.0,) * k if self.symmetric else (-1.0,) * k + (1.0,) * k

    @property
    def tails(self) -> tuple[float, ...]:
        """:math:`\\tau_c` per column: the probability that :math:`\\sigma_c x` exceeds the column's quantile."""
        misses = tuple(1.0 - level for level in self.levels)
        return misses if self.symmetric else tuple(m / 2 for m in misses) * 2

    def content(self, scores: FloatArray) -> FloatArray:
        """What the windows hold: :math:`|s|` when symmetric, else :math:`s` (NaN stays NaN)."""
        return np.abs(scores) if self.symmetric else scores

    def log_bounds(self, thresholds: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Lower and upper log offsets :math:`(\\ell, u)`, shape (days, K), from the columns' quantiles.

        The :math:`2K` ends are sorted by the probability they target (the monotone rearrangement of Chernozhukov,
        Fernández-Val & Galichon 2010), so each row is ordered (:math:`\\ell \\le u`) and nested across levels even
        where independently tracked quantiles cross; where they do not cross, nothing changes.
        """
        k = len(self.levels)
        lower, upper = (
            (-thresholds, thresholds) if self.symmetric else (-thresholds[:, :k], thresholds[:, k:])
        )
        ends = np.sort(np.concatenate([lower[:, ::-1], upper], axis=1), axis=1)
        return ends[:, :k][:, ::-1], ends[:, k:]
