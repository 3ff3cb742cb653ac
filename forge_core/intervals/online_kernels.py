"""The conformal methods' day loop, compiled: one numba kernel walks a series under the h-day delay.

The loop over days is inherently sequential (each day's bands depend on every error realised before it), so in
Python it cost ~40 µs per day and series; compiled, a few µs. The rule and the methods' updates are those
documented in ``feedback``, ``log_scores``, ``split_conformal`` and ``conformal_pid``; this module is their
only implementation. The trailing window is a sorted buffer (binary search and one shift per score) and a ring of
arrivals (to drop the oldest).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from forge_core.intervals.log_scores import FloatArray

SPLIT, PID = 0, 1
# The I term's tangent argument stays within this (|tan| <= 3.0): the integrator is bounded, never infinite.
MAX_ANGLE = 1.25
# A side's spread stays within 1/10 and 10 times the window's (|log scale| <= log 10): bands stay finite.
MAX_LOG_SCALE = math.log(10.0)


@njit(cache=True)
def _add(ordered: FloatArray, arrivals: FloatArray, state: np.ndarray, score: float) -> None:
    """Add ``score`` to the window (``state``: [count, oldest position in ``arrivals``]), dropping the oldest once
    it holds ``len(arrivals)`` scores."""
    size, n, head = len(arrivals), state[0], state[1]
    if n == size:  # drop the oldest: its position in the sorted buffer, then shift the rest down
        oldest = arrivals[head]
        k = np.searchsorted(ordered[:n], oldest)
        ordered[k : n - 1] = ordered[k + 1 : n].copy()
        n -= 1
        arrivals[head] = score
        head = (head + 1) % size
    else:
        arrivals[(head + n) % size] = score
    k = np.searchsorted(ordered[:n], score, side="right")
    ordered[k + 1 : n + 1] = ordered[k:n].copy()
    ordered[k] = score
    state[0], state[1] = n + 1, head


@njit(cache=True)
def _order_statistic(ordered: FloatArray, n: int, tail: float, upper: bool) -> float:
    """The split-conformal end of the window with ``tail`` beyond it: order statistic
    :math:`k = \\lceil (n + 1)(1 - \\text{tail}) \\rceil` (clipped to [1, n]) from the top or the bottom."""
    k = math.ceil((n + 1) * (1.0 - tail))
    k = 1 if k < 1 else n if k > n else k
    value: float = ordered[k - 1] if upper else ordered[n - k]
    return value


@njit(cache=True)
def _angle(integral: float, learnt: int, horizon: int, csat: float) -> float:
    """The I term's tangent argument after ``learnt`` errors of overlapping ``horizon``-day windows (about
    :math:`m/h` independent ones, summing to :math:`E/h`): :math:`(E/h) \\log(m/h + 1) / (C_{sat}(m/h + 1))`."""
    effective = learnt / horizon
    return integral / horizon * math.log(effective + 1) / (csat * (effective + 1))


@njit(cache=True)
def _bands_of_window(
    ordered: FloatArray,
    n: int,
    tails: FloatArray,
    symmetric: bool,
    log_scales: FloatArray,
    horizon: int,
    lower: FloatArray,
    upper: FloatArray,
) -> float:
    """Fill one day's ``lower`` and ``upper`` log bounds from the window and the sides' log scales; return the
    point's log correction (see ``log_scores``)."""
    peak = ordered[n - 1] if not symmetric else max(ordered[n - 1], -ordered[0])
    total, squares = 0.0, 0.0
    for k in range(
        n
    ):  # the window's mean of e^s, relative to its largest score; a +-x pair each when symmetric
        x = ordered[k]
        if symmetric:
            a, b = math.exp(x - peak), math.exp(-x - peak)
            total += 0.5 * (a + b)
            squares += 0.5 * (a * a + b * b)
        else:
            a = math.exp(x - peak)
            total += a
            squares += a * a
    mean = total / n
    log_mean = peak + math.log(mean)
    # its standard error: the spread of e^s over about n / h independent scores; the part of the correction the
    # noise does not support is not made (positive-part James-Stein on the log correction)
    error = math.sqrt(max(squares / n / (mean * mean) - 1.0, 0.0) * horizon / n)
    kept = 1.0 if error == 0.0 else 0.0 if log_mean == 0.0 else max(0.0, 1.0 - (error / log_mean) ** 2)
    shift = -(1.0 - kept) * log_mean
    pivot = 0.0 if symmetric else log_mean
    low, high = math.exp(log_scales[0]), math.exp(log_scales[1])
    for c in range(len(tails)):
        top = _order_statistic(ordered, n, tails[c], True)
        bottom = -top if symmetric else _order_statistic(ordered, n, tails[c], False)
        upper[c] = shift + pivot + (high if top >= pivot else low) * (top - pivot)
        lower[c] = shift + pivot + (high if bottom >= pivot else low) * (bottom - pivot)
    correction: float = kept * log_mean
    return correction


@njit(cache=True)
def run_online(
    content: FloatArray,
    horizon: int,
    min_scores: int,
    tails: FloatArray,
    symmetric: bool,
    method: int,
    window: int,
    rates: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray]:
    """Lower and upper log bounds (days, levels), the point's log correction per day (NaN
    before ``min_scores`` scores), and the scores realised by each day's close.

    ``tails`` per level: :math:`(1 - c)/2` two-sided, :math:`1 - c` symmetric (``content`` then holds
    :math:`|s|`). ``rates`` for PID: ``[eta, ki, csat, prior]``."""
    n, levels = len(content), len(tails)
    lower, upper = np.full((n, levels), np.nan), np.full((n, levels), np.nan)
    log_mean = np.full(n, np.nan)
    issued = np.zeros(n, dtype=np.bool_)
    realised = np.zeros(n, dtype=np.int64)
    ordered, arrivals = np.empty(window), np.empty(window)
    state = np.zeros(2, dtype=np.int64)
    sides = 1 if symmetric else 2
    tracked, integrals, log_scales = np.zeros(2), np.zeros(2), np.zeros(2)
    spread = np.sqrt(tails * (1.0 - tails))
    learnt, seen = 0, 0
    for j in range(n):
        i = j - horizon
        if i >= 0 and math.isfinite(content[i]):
            score = content[i]
            _add(ordered, arrivals, state, score)
            if issued[i] and method == PID:
                for side in range(sides):  # 0: the lower ends (the only side when symmetric), 1: the upper
                    g = 0.0
                    for c in range(levels):
                        missed = score > upper[i, c] if symmetric or side == 1 else score < lower[i, c]
                        g += ((1.0 if missed else 0.0) - tails[c]) / spread[c]
                    g /= levels
                    moved = tracked[side] + rates[0] * g / horizon  # no winding up past the bound
                    tracked[side] = max(-MAX_LOG_SCALE, min(MAX_LOG_SCALE, moved))
                    angle = _angle(integrals[side], learnt + 1, horizon, rates[2])
                    if (g > 0 and angle < MAX_ANGLE) or (g < 0 and angle > -MAX_ANGLE):  # anti-windup
                        integrals[side] += g
                learnt += 1
            seen += 1
        realised[j] = seen
        if seen < min_scores:
            continue
        issued[j] = True
        if method == PID:
            effective = learnt / horizon  # overlapping h-day scores: about one independent error per h days
            shrink = 1.0 if rates[3] == 0 else effective / (effective + rates[3])
            for side in range(sides):
                angle = _angle(integrals[side], learnt, horizon, rates[2])
                angle = -MAX_ANGLE if angle < -MAX_ANGLE else MAX_ANGLE if angle > MAX_ANGLE else angle
                scale = shrink * (tracked[side] + rates[1] * math.tan(angle))
                log_scales[side] = max(-MAX_LOG_SCALE, min(MAX_LOG_SCALE, scale))
            if symmetric:
                log_scales[1] = log_scales[0]
        log_mean[j] = _bands_of_window(
            ordered, state[0], tails, symmetric, log_scales, horizon, lower[j], upper[j]
        )
    return lower, upper, log_mean, realised
