"""Log scores of variance forecasts and the calibrated distribution every method draws its bands from.

The score of row :math:`t` is :math:`s_t = \\log y_t - \\log f_t` (realised over forecast variance). On each day a
method holds a trailing window :math:`W` of realised scores with median :math:`m` and, per side, a log scale
:math:`\\lambda_- , \\lambda_+` (0 for split conformal; learnt online by PID). Its *calibrated distribution* of
the score is the window stretched about its median, each side by its own factor:

.. math:: \\tilde s = m + e^{\\lambda_{\\pm}}\\,(x - m), \\quad x \\in W, \\quad \\pm = \\operatorname{sign}(x - m).

The band of level :math:`c` (tail :math:`\\tau = (1 - c)/2`) is
:math:`[f e^{\\ell}, f e^{u}]` with :math:`u = m + e^{\\lambda_+}(x_{(k)} - m)`, :math:`\\ell = m + e^{\\lambda_-}
(x_{(n + 1 - k)} - m)` and :math:`k = \\lceil (n + 1)(1 - \\tau) \\rceil` (the split-conformal order statistic,
clipped to :math:`[1, n]`). The published point is the distribution's mean,

.. math:: \\hat v = f \\cdot \\frac1n \\sum_{x \\in W} e^{m + e^{\\lambda_{\\pm}}(x - m)},

the forecast corrected by the calibration for its bias (QLIKE and MSE reward the conditional mean).

So the bands are coherent by construction, with no sorting afterwards: order statistics rise with the level and
both factors are positive, so levels nest and every band holds :math:`m`; the 50% and 95% upper ends are
different order statistics (:math:`k` differs once :math:`n \\ge 4`), strictly apart unless the window repeats a
score. The point lies inside its 50% band unless the calibrated distribution is so skewed that its mean passes a
quartile (for a log-normal, a log-sd above about 1.35): such a row is flagged ``skewed``, never moved.

``symmetric=True`` calibrates :math:`|s|` instead (:math:`m = 0`, one scale, :math:`u = -\\ell`, tail
:math:`1 - c`, and the mean over :math:`\\pm x`). The benchmark (``benchmarks/intervals.py``) measures both; log
scores of a variance are skewed (a long left tail from quiet days) and off-centre where a model is biased, which
two sides follow and one cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ScoreSides:
    """The levels of a calibration (increasing central coverages in (0, 1)) and whether it is symmetric."""

    levels: tuple[float, ...]
    symmetric: bool

    @property
    def tails(self) -> tuple[float, ...]:
        """:math:`\\tau` per level: the probability beyond each end, :math:`(1 - c)/2`, or :math:`1 - c` for
        :math:`|s|`."""
        return tuple((1.0 - c) if self.symmetric else (1.0 - c) / 2 for c in self.levels)

    def content(self, scores: FloatArray) -> FloatArray:
        """What the windows hold: :math:`|s|` when symmetric, else :math:`s` (NaN stays NaN)."""
        return np.abs(scores) if self.symmetric else scores
