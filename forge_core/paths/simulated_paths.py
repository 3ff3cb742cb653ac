"""Monte Carlo paths of the next days after a close: the ``Paths`` result and the GARCH-family simulation.

A GARCH(1,1) / GJR-GARCH(1,1,1) fitted by ``forge_core.models.garch`` (percent returns, standardised Student-t
shocks) is simulated from the one-step variance :math:`\\sigma^2_{t+1}` known at the close of day :math:`t`:

.. math::

    r_{t+k} = \\sigma_{t+k} z_{t+k}, \\quad z \\sim \\sqrt{\\tfrac{\\nu-2}{\\nu}}\\,T_\\nu, \\qquad
    \\sigma^2_{t+k+1} = \\omega + (\\alpha + \\gamma 1\\{r_{t+k} < 0\\}) r_{t+k}^2 + \\beta \\sigma^2_{t+k},

every path at once (one vectorised step per day). With symmetric shocks the mean of :math:`\\sigma^2_{t+k}` over
paths converges to the analytic forecast :math:`\\omega \\sum_{j<k-1} p^j + p^{k-1} \\sigma^2_{t+1}`,
:math:`p = \\alpha + \\gamma/2 + \\beta`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from forge_core.models.garch import PERCENT, GarchState
from forge_core.quantiles import QUANTILE_LEVELS, quantile_label

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Paths:
    """Simulated daily log returns and the daily variance each was drawn with, shaped (paths, days), in return
    units; day ``k`` (column ``k - 1``) is the ``k``-th trading day after the close."""

    returns: FloatArray
    variance: FloatArray

    @property
    def days(self) -> int:
        return int(self.returns.shape[1])

    @property
    def cumulative_returns(self) -> FloatArray:
        """:math:`\\sum_{j \\le k} r_{t+j}` per path and day."""
        cumulative: FloatArray = np.cumsum(self.returns, axis=1)
        return cumulative

    @property
    def mean_variance(self) -> FloatArray:
        """The mean over paths of each day's variance: the simulation's variance forecast per day."""
        mean: FloatArray = self.variance.mean(axis=0)
        return mean

    def fan(self, levels: Sequence[float] = QUANTILE_LEVELS) -> pd.DataFrame:
        """Quantiles across paths per day of the cumulative return and of the daily variance: one row per
        (quantity, day), one column per level (``q05`` .. ``q95``)."""
        frames = []
        for quantity, values in (("cumulative_return", self.cumulative_returns), ("variance", self.variance)):
            q = np.quantile(values, levels, axis=0).T
            frame = pd.DataFrame(q, columns=[quantile_label(level) for level in levels])
            frames.append(frame.assign(quantity=quantity, day=np.arange(1, self.days + 1)))
        columns = ["quantity", "day", *(quantile_label(level) for level in levels)]
        return pd.concat(frames, ignore_index=True)[columns]


def garch_paths(
    state: GarchState, sigma2_next: float, days: int = 22, paths: int = 10_000, seed: int = 0
) -> Paths:
    """Simulate ``paths`` paths of ``days`` days from a fitted GARCH state and the one-step variance
    ``sigma2_next`` (percent^2, ``GarchModel.one_step_variance`` at the close). ValueError for a non-positive
    start or an empty request."""
    if not sigma2_next > 0 or days < 1 or paths < 1:
        raise ValueError(f"need sigma2_next > 0, days >= 1, paths >= 1; got {sigma2_next}, {days}, {paths}")
    rng = np.random.default_rng(seed)
    shocks = rng.standard_t(state.nu, (days, paths)) * np.sqrt((state.nu - 2.0) / state.nu)
    returns = np.empty((days, paths))
    variance = np.empty((days, paths))
    s2 = np.full(paths, float(sigma2_next))
    for k in range(days):
        r = np.sqrt(s2) * shocks[k]
        returns[k], variance[k] = r, s2
        s2 = state.omega + (state.alpha + state.gamma * (r < 0.0)) * r * r + state.beta * s2
    return Paths(returns.T / PERCENT, variance.T / PERCENT**2)


def garch_mean_variance(state: GarchState, sigma2_next: float, days: int) -> FloatArray:
    """The analytic :math:`E_t[\\sigma^2_{t+k}]`, k = 1..days, in return units (see the module)."""
    p = state.alpha + 0.5 * state.gamma + state.beta
    k = np.arange(days)
    mean: FloatArray = (state.omega * (1.0 - p**k) / (1.0 - p) + p**k * sigma2_next) / PERCENT**2
    return mean
