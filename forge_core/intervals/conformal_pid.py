"""Conformal PID control (Angelopoulos, Candès & Tibshirani 2023): quantile tracking (P), error integration (I)
and, optionally, a scorecaster (D)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forge_core.intervals.feedback import OnlineMethod
from forge_core.intervals.log_scores import FloatArray
from forge_core.intervals.online_kernels import PID


@dataclass(frozen=True)
class PidParams:
    """``window``: scores whose range scales the learning rate and bounds the quantiles; ``eta``: learning rate
    as a fraction of that range; ``ki``, ``csat``: gain and saturation constant of the integrator (``ki = 0``
    turns it off); ``scorecaster_halflife``: half-life in days of the EWMA scorecaster, None for none. The defaults
    are the choice of ``benchmarks/intervals.py``'s rule on the 2002-2009 days of the bundled backtest, except
    ``csat``, fixed near what conformalForecast's default gives for 2,000-4,500 days,
    :math:`\\tfrac{2}{\\pi}(1 - 1/\\log T) \\approx 0.55`."""

    window: int = 1000
    eta: float = 0.003
    ki: float = 1.0
    csat: float = 0.5
    scorecaster_halflife: float | None = None

    def __post_init__(self) -> None:
        halflife = self.scorecaster_halflife
        if (
            self.window < 2
            or self.eta <= 0
            or self.ki < 0
            or self.csat <= 0
            or (halflife is not None and halflife <= 0)
        ):
            raise ValueError(f"pid: need window >= 2, eta > 0, ki >= 0, csat > 0, halflife > 0; got {self}")


class ConformalPid(OnlineMethod):
    """Conformal PID: column :math:`c` on day :math:`j`, with :math:`g_{c,i} = \\text{err}_{c,i} - \\tau_c` the
    error of row :math:`i` learnt at :math:`i + h` (:math:`m` of them so far, :math:`E_{c} = \\sum g_{c,i}`),

    .. math::

        p_{c,j} &= p_{c,j-1} + \\eta\\,(x_{\\max} - x_{\\min})\\, g_{c,j-h} \\quad\\text{(P, quantile tracking)}\\\\
        r_{c,j} &= K_I \\tan\\Bigl(\\frac{E_c \\log(m+1)}{C_{\\text{sat}}(m+1)}\\Bigr) \\quad\\text{(I)}\\\\
        q_{c,j} &= \\operatorname{clip}\\bigl(p_{c,j} + r_{c,j} + \\sigma_c \\hat s_j,\\;
            \\min_W \\sigma_c x,\\; \\max_W \\sigma_c x\\bigr),

    where :math:`\\hat s_j` is the scorecaster (an EWMA of the realised :math:`x`, or 0) and :math:`x_{\\min},
    x_{\\max}` span the window. :math:`p` starts at the window's split-conformal quantile (less :math:`\\sigma_c
    \\hat s`) and is clipped to the same span; :math:`E_c` does not take an error that would push a quantile
    already at the span's edge further out (both are anti-windup); the tangent's argument is clipped below
    :math:`\\pm\\pi/2`. Where the paper lets a saturated integrator make the interval infinite, the clip makes it
    the window's most extreme score, so every bound is finite.
    """

    name = "pid"
    description = "conformal PID control (Angelopoulos, Candès & Tibshirani 2023)"
    Params = PidParams
    params: PidParams
    kernel = PID

    def rates(self) -> FloatArray:
        """eta, ki, csat and the scorecaster's EWMA weight :math:`1 - 2^{-1/\\text{halflife}}` (0: none)."""
        halflife = self.params.scorecaster_halflife
        decay = 0.0 if halflife is None else 1.0 - 0.5 ** (1.0 / halflife)
        return np.array([self.params.eta, self.params.ki, self.params.csat, decay])
