"""Conformal PID control (Angelopoulos, Candès & Tibshirani 2023): quantile tracking (P), error integration (I)
and, optionally, a scorecaster (D)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from forge_core.intervals.feedback import OnlineMethod
from forge_core.intervals.log_scores import ScoreSides

# The saturation's argument stays just below pi/2, where the tangent would wrap to -inf.
_SATURATED = math.nextafter(math.pi / 2, 0.0)


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

    def __init__(self, params: PidParams, sides: ScoreSides) -> None:
        super().__init__(params, sides)
        self.tracked: list[float] = []  # p, set when the first thresholds are issued
        self.integrals = [0.0] * len(self.tails)
        self.learnt = 0
        halflife = params.scorecaster_halflife
        self.decay = 0.0 if halflife is None else 1.0 - 0.5 ** (1.0 / halflife)
        self.scorecast = 0.0

    def observe(self, score: float, issued: Sequence[float] | None) -> None:
        super().observe(score, issued)
        if self.decay:
            self.scorecast = (
                score if len(self.window) == 1 else self.scorecast + self.decay * (score - self.scorecast)
            )

    def learn(self, score: float, issued: Sequence[float]) -> None:
        low, high = self.window.span()
        rate = self.params.eta * (high - low)
        tracked, integrals = [], []
        for p, e, tail, sign, q in zip(
            self.tracked, self.integrals, self.tails, self.signs, issued, strict=True
        ):
            g = (sign * score > q) - tail
            shift = sign * self.scorecast
            top, bottom = (high, low) if sign > 0 else (-low, -high)  # the column's span, in its orientation
            moved = p + rate * g + shift
            tracked.append((bottom if moved < bottom else top if moved > top else moved) - shift)
            # Conditional integration: no winding up against a quantile already at the window's extreme.
            integrals.append(e + g if (g > 0 and q < top) or (g < 0 and q > bottom) else e)
        self.tracked, self.integrals = tracked, integrals
        self.learnt += 1

    def thresholds(self) -> list[float]:
        window, params = self.window, self.params
        shifts = [sign * self.scorecast for sign in self.signs]
        if not self.tracked:
            split = window.upper_quantiles(self.signs, self.tails)
            self.tracked = [q - shift for q, shift in zip(split, shifts, strict=True)]
        scale = math.log(self.learnt + 1) / (params.csat * (self.learnt + 1))
        low, high = window.span()
        out = []
        for p, e, sign, shift in zip(self.tracked, self.integrals, self.signs, shifts, strict=True):
            angle = e * scale
            angle = -_SATURATED if angle < -_SATURATED else _SATURATED if angle > _SATURATED else angle
            bounded = sign * (p + params.ki * math.tan(angle) + shift)
            out.append(sign * (low if bounded < low else high if bounded > high else bounded))
        return out
