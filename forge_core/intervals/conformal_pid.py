"""Conformal PID control (Angelopoulos, Candès & Tibshirani 2023) of the calibrated distribution's two spreads:
quantile tracking (P) and error integration (I), shrunk towards split conformal while feedback is scarce."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forge_core.intervals.feedback import OnlineMethod
from forge_core.intervals.log_scores import FloatArray
from forge_core.intervals.online_kernels import PID


@dataclass(frozen=True)
class PidParams:
    """``window``: the trailing scores the distribution is drawn from; ``eta``: the P step in log scale per
    standardised error; ``ki``, ``csat``: gain and saturation constant of the integrator (``ki = 0`` turns it
    off); ``prior``: how many independent errors (one per ``h`` days) weigh as much as split conformal, the
    shrinkage of scarce feedback. The defaults are the choice of ``benchmarks/intervals.py``'s rule on the
    2002-2009 days of the bundled backtest, except ``csat``, fixed near what conformalForecast's default gives for
    2,000-4,500 days, :math:`\\tfrac{2}{\\pi}(1 - 1/\\log T) \\approx 0.55`."""

    window: int = 2000
    eta: float = 0.003
    ki: float = 0.3
    csat: float = 0.5
    prior: float = 20.0

    def __post_init__(self) -> None:
        if self.window < 4 or min(self.eta, self.ki, self.prior) < 0 or self.csat <= 0:
            raise ValueError(f"pid: need window >= 4, eta, ki, prior >= 0 and csat > 0; got {self}")


class ConformalPid(OnlineMethod):
    """Conformal PID on the spreads of the calibrated distribution (``log_scores``): side :math:`\\pm` on day
    :math:`j` has log scale

    .. math::

        g_{\\pm,i} &= \\frac1K \\sum_c \\frac{\\text{miss}_{\\pm,c,i} - \\tau_c}{\\sqrt{\\tau_c(1 - \\tau_c)}}
            \\quad\\text{(the side's standardised error of row } i\\text{, learnt at } i + h)\\\\
        p_{\\pm,j} &= p_{\\pm,j-1} + \\tfrac{\\eta}{h}\\, g_{\\pm,j-h} \\quad\\text{(P, quantile tracking)}\\\\
        r_{\\pm,j} &= K_I \\tan\\Bigl(\\frac{(E_{\\pm}/h) \\log(m/h+1)}{C_{\\text{sat}}(m/h+1)}\\Bigr)
            \\quad\\text{(I, } E_\\pm = \\textstyle\\sum_i g_{\\pm,i}\\text{ over the } m \\text{ errors learnt)}\\\\
        \\lambda_{\\pm,j} &= w_j\\,(p_{\\pm,j} + r_{\\pm,j}), \\quad w_j = \\frac{m/h}{m/h + \\text{prior}}.

    A miss of the upper side is :math:`s_i > u_{c,i}`, of the lower :math:`s_i < \\ell_{c,i}`, against the bands
    issued for row :math:`i`. One scale per side (not one quantile per level, as in the paper) is what keeps the
    levels nested as produced; the window supplies the shape. The tangent's argument is clipped to
    :math:`\\pm 1.25` (:math:`|\\tan| \\le 3`) and does not integrate an error that would push it further
    (anti-windup), so a saturated integrator widens the bands by a bounded factor instead of the paper's infinite
    interval; :math:`p` and :math:`\\lambda` stay within :math:`\\pm\\log 10` (a side's spread between a tenth
    and ten times the window's).

    Errors of overlapping :math:`h`-day windows come in runs of about :math:`h` alike, so each counts :math:`1/h`
    of an independent one: in the steps, the integrator and :math:`w`, the scarce-feedback rule. On 18 months of
    walk-forward at :math:`h = 22` (about 4 independent errors) the bands stay within a few percent of split
    conformal's, while at :math:`h = 1` a year of errors weighs over 90%. With ``ki = 0`` and ``prior = 0`` this
    is adaptive conformal inference (Gibbs & Candès 2021) on the spreads.
    """

    name = "pid"
    description = "conformal PID control of the calibrated spreads (Angelopoulos, Candès & Tibshirani 2023)"
    Params = PidParams
    params: PidParams
    kernel = PID

    def rates(self) -> FloatArray:
        """eta, ki, csat and prior."""
        return np.array([self.params.eta, self.params.ki, self.params.csat, self.params.prior])
