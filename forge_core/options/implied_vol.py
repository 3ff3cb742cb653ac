"""Black-Scholes-Merton implied volatility of option quotes, vectorised over every quote at once.

With forward :math:`F`, strike :math:`K`, maturity :math:`T` in years and discount factor :math:`D`, a quote's
undiscounted price normalised by :math:`\\sqrt{FK}` is :math:`\\beta = P / (D\\sqrt{FK})`, and with
:math:`x = \\ln(F/K)`, :math:`s = \\sigma\\sqrt T`, :math:`\\theta = \\pm 1` (call, put), the normalised Black
price is

.. math::

    b_\\theta(x, s) = \\theta\\bigl[e^{x/2}\\Phi(\\theta(x/s + s/2)) - e^{-x/2}\\Phi(\\theta(x/s - s/2))\\bigr].

An in-the-money quote is solved as its out-of-the-money counterpart (put-call parity: subtract the normalised
intrinsic value :math:`\\iota = |e^{x/2} - e^{-x/2}|` and switch the type), and by the symmetry
:math:`b_\\theta(x, s) = b_{-\\theta}(-x, s)` every quote becomes an out-of-the-money call at :math:`x \\le 0`.
There, with :math:`h = x/s`, :math:`t = s/2` and :math:`Y(z) = \\operatorname{erfcx}(-z/\\sqrt2)`
(Jäckel's 2015 "Let's be rational" form, free of the exponentials that under- and overflow),

.. math::

    \\ln b = \\ln\\tfrac12 - \\tfrac{h^2 + t^2}{2} + \\ln\\bigl(Y(h+t) - Y(h-t)\\bigr), \\qquad
    \\frac{d \\ln b}{d s} = \\frac{2}{\\sqrt{2\\pi}\\,\\bigl(Y(h+t) - Y(h-t)\\bigr)},

and Newton's method on :math:`\\ln b(s) = \\ln \\beta` (the log makes the far out-of-the-money wing, where
:math:`b` spans hundreds of orders of magnitude, as tame as the rest), safeguarded by a bracket that bisects
whenever a step would leave it, converges to the last bits of :math:`s` in a handful of steps.

A quote whose price admits no volatility is flagged, never dropped: at or below its intrinsic value, at or above
its upper bound (:math:`e^{x/2}` for a call, :math:`e^{-x/2}` for a put), or with a time value too small for a
double to carry (in the money, :math:`\\beta - \\iota < 10^{-12}\\beta`; out of it, a subnormal
:math:`\\beta < 10^{-300}`): the volatility it would give is noise. Elsewhere the volatility is as precise as the
time value: a relative error :math:`\\epsilon` in it moves :math:`s` by :math:`\\epsilon / (d\\ln b / d\\ln s)`,
so deep in the money, where the time value is a small share of the price, fewer digits survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray
from scipy.special import erfcx

FloatArray = NDArray[np.float64]
SQRT2 = np.sqrt(2.0)
SQRT_2PI = np.sqrt(2.0 * np.pi)
MAX_S = 40.0  # sigma * sqrt(T) above this is not a volatility (b within 1e-170 of its bound)
TIME_VALUE_FLOOR = 1e-12  # a time value below this share of the price is below a double's resolution
SMALLEST_PRICE = (
    1e-300  # a normalised out-of-the-money price below this is subnormal: no digits to solve from
)
MAX_STEPS = 60


class IvFlag(IntEnum):
    """Why a quote has no implied volatility (``OK``: it has one)."""

    OK = 0
    BAD_INPUT = 1  # a price that is not finite and >= 0, or a forward, strike, maturity or discount not finite and > 0
    BELOW_INTRINSIC = 2
    ABOVE_BOUND = 3
    NO_TIME_VALUE = 4
    NOT_CONVERGED = 5


@dataclass(frozen=True, eq=False)
class ImpliedVols:
    """Implied volatilities (annualised, NaN where flagged) and a flag per quote (``IvFlag``)."""

    vol: FloatArray
    flag: NDArray[np.int8]

    @property
    def solved(self) -> NDArray[np.bool_]:
        ok: NDArray[np.bool_] = self.flag == IvFlag.OK
        return ok

    def counts(self) -> dict[str, int]:
        """How many quotes carry each flag."""
        return {f.name.lower(): int((self.flag == f).sum()) for f in IvFlag}


def black_price(
    forward: FloatArray | float,
    strike: FloatArray | float,
    maturity: FloatArray | float,
    vol: FloatArray | float,
    is_call: NDArray[np.bool_] | bool,
    discount: FloatArray | float = 1.0,
) -> FloatArray:
    """Black's price of European options on the forward (BSM with :math:`F = S e^{(r - q)T}`, :math:`D = e^{-rT}`):
    intrinsic value plus the out-of-the-money counterpart's :math:`b`, accurate to the last bits in either wing
    (the textbook difference of two normal probabilities loses them all far out of the money)."""
    f, k = np.asarray(forward, dtype=float), np.asarray(strike, dtype=float)
    s = np.asarray(vol, dtype=float) * np.sqrt(np.asarray(maturity, dtype=float))
    x = np.log(f / k)
    theta = np.where(is_call, 1.0, -1.0)
    intrinsic = np.maximum(theta * (np.exp(x / 2) - np.exp(-x / 2)), 0.0)
    log_b, _ = _log_b_and_slope(-np.abs(x), s)
    price: FloatArray = np.asarray(discount) * np.sqrt(f * k) * (intrinsic + np.exp(log_b))
    return price


def _log_b_and_slope(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """:math:`\\ln b(x, s)` of an out-of-the-money call (:math:`x \\le 0`) and :math:`d\\ln b/ds` (see the module)."""
    h, t = x / s, s / 2
    gap = erfcx(-(h + t) / SQRT2) - erfcx(-(h - t) / SQRT2)
    log_b: FloatArray = np.log(0.5) - (h * h + t * t) / 2 + np.log(gap)
    slope: FloatArray = 2.0 / (SQRT_2PI * gap)
    return log_b, slope


def implied_vol(
    price: FloatArray,
    forward: FloatArray | float,
    strike: FloatArray | float,
    maturity: FloatArray | float,
    is_call: NDArray[np.bool_] | bool,
    discount: FloatArray | float = 1.0,
) -> ImpliedVols:
    """The Black(-Scholes-Merton) implied volatility of every quote (see the module); arrays broadcast together."""
    p, f, k, T, call, d = np.broadcast_arrays(
        np.asarray(price, dtype=float),
        np.asarray(forward, dtype=float),
        np.asarray(strike, dtype=float),
        np.asarray(maturity, dtype=float),
        np.asarray(is_call, dtype=bool),
        np.asarray(discount, dtype=float),
    )
    n = p.size
    flag = np.zeros(n, dtype=np.int8)
    good = np.isfinite(p.ravel()) & (p.ravel() >= 0)
    for a in (f, k, T, d):
        good &= np.isfinite(a.ravel()) & (a.ravel() > 0)
    flag[~good] = IvFlag.BAD_INPUT
    p, f, k, T, call, d = (a.ravel() for a in (p, f, k, T, call, d))
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log(f / k)
        beta = p / (d * np.sqrt(f * k))
        theta = np.where(call, 1.0, -1.0)
        intrinsic = np.maximum(theta * (np.exp(x / 2) - np.exp(-x / 2)), 0.0)
        bound = np.where(call, np.exp(x / 2), np.exp(-x / 2))
        otm = beta - intrinsic  # the out-of-the-money counterpart's normalised price
    flag[good & (otm <= 0)] = IvFlag.BELOW_INTRINSIC
    flag[good & (beta >= bound)] = IvFlag.ABOVE_BOUND
    unresolved = ((intrinsic > 0) & (otm < TIME_VALUE_FLOOR * beta)) | (otm < SMALLEST_PRICE)
    flag[good & (flag == 0) & unresolved] = IvFlag.NO_TIME_VALUE
    live = np.flatnonzero(flag == 0)
    s = _solve(-np.abs(x[live]), np.log(otm[live]))
    vol = np.full(n, np.nan)
    vol[live] = s / np.sqrt(T[live])
    flag[live[~np.isfinite(s)]] = IvFlag.NOT_CONVERGED
    shape = np.shape(p.reshape(np.broadcast(price, forward, strike, maturity, is_call, discount).shape))
    return ImpliedVols(vol.reshape(shape), flag.reshape(shape))


def _solve(x: FloatArray, log_beta: FloatArray) -> FloatArray:
    """:math:`s` with :math:`\\ln b(x, s) = \\ln\\beta` for out-of-the-money calls (:math:`x \\le 0`); NaN where the
    safeguarded Newton steps do not settle within ``MAX_STEPS``."""
    lo, hi = np.zeros_like(x), np.full_like(x, MAX_S)
    # start at the inflection point sqrt(2|x|) of b(s), or Brenner-Subrahmanyam's ATM guess if larger
    s = np.clip(np.maximum(np.sqrt(2 * np.abs(x)), SQRT_2PI * np.exp(log_beta)), 1e-3, MAX_S / 2)
    out = np.full_like(x, np.nan)
    active = np.arange(len(x))
    for _ in range(MAX_STEPS):
        if active.size == 0:
            break
        xa, sa = x[active], s[active]
        log_b, slope = _log_b_and_slope(xa, sa)
        gap = log_b - log_beta[active]
        lo[active] = np.where(gap < 0, sa, lo[active])
        hi[active] = np.where(gap > 0, sa, hi[active])
        step = sa - gap / slope
        done = (np.abs(step - sa) <= 1e-12 * sa) | (
            gap == 0
        )  # quadratic: the step taken is exact to the bits
        out[active[done]] = np.where(gap[done] == 0, sa[done], step[done])
        inside = np.isfinite(step) & (step > lo[active]) & (step < hi[active])
        bisected = np.where(lo[active] > 0, np.sqrt(lo[active] * hi[active]), hi[active] / 8)
        s[active] = np.where(inside, step, bisected)
        active = active[~done]
    return out
