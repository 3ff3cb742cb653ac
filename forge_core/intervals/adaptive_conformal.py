"""Adaptive conformal inference (Gibbs & Candès 2021): the miss rate each quantile is taken at adapts online."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forge_core.intervals.feedback import OnlineMethod
from forge_core.intervals.log_scores import FloatArray
from forge_core.intervals.online_kernels import ACI


@dataclass(frozen=True)
class AciParams:
    """``window``: scores the quantiles are taken from; ``gamma``: step size of the adaptive tail; ``clip``: the
    tail stays in ``[clip, 1 - clip]``. The defaults are the choice of ``benchmarks/intervals.py``'s rule on the
    2002-2009 days of the bundled backtest."""

    window: int = 2000
    gamma: float = 0.002
    clip: float = 0.001

    def __post_init__(self) -> None:
        if self.window < 1 or self.gamma <= 0 or not 0 < self.clip < 0.5:
            raise ValueError(f"aci: need window >= 1, gamma > 0 and 0 < clip < 0.5; got {self}")


class AdaptiveConformal(OnlineMethod):
    """ACI: column :math:`c` is the window's conformal quantile at an adaptive tail :math:`\\alpha_{c,j}`,
    started at the nominal tail :math:`\\tau_c` and moved by each realised error
    :math:`\\text{err}_{c,i} = 1\\{\\sigma_c x_i > q_{c,i}\\}` on the day :math:`j = i + h` it becomes known:

    .. math::

        \\alpha_{c,j} = \\operatorname{clip}\\bigl(\\alpha_{c,j-1} + \\gamma(\\tau_c - \\text{err}_{c,j-h}),\\;
        \\epsilon,\\; 1 - \\epsilon\\bigr), \\qquad
        q_{c,j} = (\\sigma_c x)_{(\\lceil (n+1)(1-\\alpha_{c,j}) \\rceil)}.

    The clip (``clip`` = :math:`\\epsilon`) keeps the tail inside (0, 1), so the quantile stays a finite order
    statistic of the window (any tail below :math:`1/(n+1)` gives its extreme), and a long run of misses cannot drive
    the tail below :math:`\\epsilon`, from where :math:`(\\tau_c - \\epsilon)/(\\gamma\\tau_c)` covered days bring
    it back. Gibbs & Candès' bound on the long-run miss rate,
    :math:`|\\overline{\\text{err}} - \\tau_c| \\le (\\max(\\tau_c, 1 - \\tau_c) + \\gamma)/(\\gamma T)`, holds
    while the clip is idle.
    """

    name = "aci"
    description = "adaptive conformal inference (Gibbs & Candès 2021) on the trailing window"
    Params = AciParams
    kernel = ACI
    params: AciParams

    def rates(self) -> FloatArray:
        return np.array([self.params.gamma, self.params.clip])
