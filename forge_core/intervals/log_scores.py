"""Log scores of variance forecasts and the calibrated distribution every method draws its bands from.

The score of row :math:`t` is :math:`s_t = \\log y_t - \\log f_t` (realised over forecast variance). On each day a
method holds a trailing window :math:`W` of :math:`n` realised scores. Their mean of :math:`e^s`,
:math:`\\bar e = \\frac1n \\sum_W e^{x}`, is the bias the calibration finds (:math:`E[y/f]`; QLIKE and MSE reward
the conditional mean), with log :math:`\\mu = \\log \\bar e` and standard error
:math:`\\sigma_\\mu \\approx \\operatorname{sd}(e^x) / (\\bar e \\sqrt{n/h})` (overlapping :math:`h`-day targets: about
:math:`n/h` independent scores). The published point corrects the forecast by the part the noise supports
(positive-part James-Stein),

.. math:: \\hat v = f e^{\\kappa \\mu}, \\qquad \\kappa = \\max\\bigl(0,\\ 1 - \\sigma_\\mu^2 / \\mu^2\\bigr),

and the *calibrated distribution* is the window moved by the same amount and stretched about that point, each side
by its own factor :math:`e^{\\lambda_\\pm}` (0 for split conformal; learnt online by PID):

.. math::

    \\tilde s = \\kappa\\mu + e^{\\lambda_{\\pm}}\\,(x - \\mu), \\quad x \\in W,
    \\quad \\pm = \\operatorname{sign}(x - \\mu).

The band of level :math:`c` (tail :math:`\\tau = (1 - c)/2`) is :math:`[f e^{\\ell}, f e^{u}]` with :math:`u` the
image of the order statistic :math:`x_{(k)}`, :math:`\\ell` of :math:`x_{(n + 1 - k)}`, and
:math:`k = \\lceil (n + 1)(1 - \\tau) \\rceil` (the split-conformal rank, clipped to :math:`[1, n]`).

So the bands are coherent by construction, with no sorting afterwards: the map is increasing (both factors
positive, continuous at :math:`\\mu`) and the ranks rise with the level, so levels nest; the 50% and 95% upper ends
are images of different order statistics (:math:`k` differs once :math:`n \\ge 4`), strictly apart unless the window
repeats a score; and the map fixes the point, so the point lies inside its 50% band exactly when the window's mean
lies between its quartiles. It lies outside only when the scores are so skewed that their mean passes the 75th
percentile (for a log-normal, a log-sd above about 1.35): such a row is flagged ``skewed``, never moved.

``symmetric=True`` calibrates :math:`|s|` instead (bands :math:`u = -\\ell` about 0, one scale, tail
:math:`1 - c`; the point is the mean over :math:`\\pm x`, flagged where it leaves the innermost band). The benchmark
(``benchmarks/intervals.py``) measures both; log scores of a variance are skewed (a long left tail from quiet days)
and off-centre where a model is biased, which two sides follow and one cannot.
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
