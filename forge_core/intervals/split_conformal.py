"""Split conformal prediction on a trailing window of realised log scores."""

from __future__ import annotations

from dataclasses import dataclass

from forge_core.intervals.feedback import OnlineMethod
from forge_core.intervals.online_kernels import SPLIT


@dataclass(frozen=True)
class SplitParams:
    """``window``: how many of the latest realised scores calibrate each day's interval. The default is the
    choice of ``benchmarks/intervals.py``'s rule on the 2002-2009 days of the bundled backtest."""

    window: int = 2000

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"split: window must be >= 1, got {self.window}")


class SplitConformal(OnlineMethod):
    """Split conformal (Vovk et al. 2005; Lei et al. 2018) with a rolling calibration set: on day :math:`j`, the
    calibrated distribution (``log_scores``) is the last :math:`n \\le W` realised scores as they are
    (:math:`\\lambda_\\pm = 0`), so the upper end of level :math:`c` is

    .. math:: u_{c,j} = x_{(\\lceil (n+1)(1-\\tau_c) \\rceil)},

    and the lower end the same order statistic from the bottom, with :math:`k` clipped to :math:`[1, n]`: where
    the exact conformal quantile is infinite (:math:`k > n`) it is the window's extreme, so it is always finite.

    Valid under exchangeable scores; it trails a change in their distribution by up to ``window`` days.
    """

    name = "split"
    description = "split conformal on the trailing window of realised scores"
    Params = SplitParams
    kernel = SPLIT
