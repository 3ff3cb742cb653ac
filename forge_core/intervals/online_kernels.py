"""The conformal methods' day loop, compiled: one numba kernel walks a series under the h-day delay.

The loop over days is inherently sequential (each day's thresholds depend on every error realised before it), so
in Python it cost ~40 µs per day and series; compiled, ~1 µs. The rule and the methods' updates are those
documented in ``feedback``, ``split_conformal``, ``adaptive_conformal`` and ``conformal_pid``; this module is
their only implementation. The trailing window is a sorted buffer (binary search and one shift per score) and a
ring of arrivals (to drop the oldest).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from forge_core.intervals.log_scores import FloatArray

SPLIT, ACI, PID = 0, 1, 2
# The saturation's argument stays just below pi/2, where the tangent would wrap to -inf.
SATURATED = math.nextafter(math.pi / 2, 0.0)


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
def _upper_quantile(ordered: FloatArray, n: int, sign: float, tail: float) -> float:
    """The split-conformal upper ``1 - tail`` quantile of ``sign * x`` over the window: order statistic
    :math:`k = \\lceil (n + 1)(1 - \\text{tail}) \\rceil` clipped to [1, n]."""
    k = math.ceil((n + 1) * (1.0 - tail))
    k = 1 if k < 1 else n if k > n else k
    value: float = ordered[k - 1] if sign > 0 else -ordered[n - k]
    return value


@njit(cache=True)
def run_online(
    content: FloatArray,
    horizon: int,
    min_scores: int,
    signs: FloatArray,
    tails: FloatArray,
    method: int,
    window: int,
    rates: FloatArray,
) -> tuple[FloatArray, np.ndarray]:
    """Thresholds (days, columns; NaN before ``min_scores`` scores) and the scores realised by each day's close.

    ``rates`` per method: ACI ``[gamma, clip]``; PID ``[eta, ki, csat, decay]`` (``decay`` 0: no scorecaster)."""
    n, columns = len(content), len(signs)
    thresholds = np.full((n, columns), np.nan)
    issued = np.zeros(n, dtype=np.bool_)
    realised = np.zeros(n, dtype=np.int64)
    ordered, arrivals = np.empty(window), np.empty(window)
    state = np.zeros(2, dtype=np.int64)
    alphas = tails.copy()
    tracked, integrals = np.zeros(columns), np.zeros(columns)
    tracking, learnt, scorecast = False, 0, 0.0
    seen = 0
    for j in range(n):
        i = j - horizon
        if i >= 0 and math.isfinite(content[i]):
            score = content[i]
            _add(ordered, arrivals, state, score)
            size = state[0]
            if issued[i] and method == ACI:
                gamma, low = rates[0], rates[1]
                for c in range(columns):
                    missed = 1.0 if signs[c] * score > thresholds[i, c] else 0.0
                    moved = alphas[c] + gamma * (tails[c] - missed)
                    alphas[c] = low if moved < low else 1.0 - low if moved > 1.0 - low else moved
            elif issued[i] and method == PID:
                low, high = ordered[0], ordered[size - 1]
                rate = rates[0] * (high - low)
                for c in range(columns):
                    sign, q = signs[c], thresholds[i, c]
                    g = (1.0 if sign * score > q else 0.0) - tails[c]
                    shift = sign * scorecast
                    top, bottom = (
                        (high, low) if sign > 0 else (-low, -high)
                    )  # the column's span, its orientation
                    moved = tracked[c] + rate * g + shift
                    tracked[c] = (bottom if moved < bottom else top if moved > top else moved) - shift
                    if (g > 0 and q < top) or (g < 0 and q > bottom):  # no winding up at the window's extreme
                        integrals[c] += g
                learnt += 1
            if method == PID and rates[3] > 0:
                scorecast = score if size == 1 else scorecast + rates[3] * (score - scorecast)
            seen += 1
        realised[j] = seen
        if seen < min_scores:
            continue
        size = state[0]
        issued[j] = True
        if method == SPLIT:
            for c in range(columns):
                thresholds[j, c] = _upper_quantile(ordered, size, signs[c], tails[c])
        elif method == ACI:
            for c in range(columns):
                thresholds[j, c] = _upper_quantile(ordered, size, signs[c], alphas[c])
        else:
            if not tracking:
                for c in range(columns):
                    tracked[c] = _upper_quantile(ordered, size, signs[c], tails[c]) - signs[c] * scorecast
                tracking = True
            scale = math.log(learnt + 1) / (rates[2] * (learnt + 1))
            low, high = ordered[0], ordered[size - 1]
            for c in range(columns):
                angle = integrals[c] * scale
                angle = -SATURATED if angle < -SATURATED else SATURATED if angle > SATURATED else angle
                bounded = signs[c] * (tracked[c] + rates[1] * math.tan(angle) + signs[c] * scorecast)
                thresholds[j, c] = signs[c] * (low if bounded < low else high if bounded > high else bounded)
    return thresholds, realised
