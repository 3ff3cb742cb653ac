"""The trailing window of realised scores every conformal method draws its quantiles from.

Kept twice: in arrival order (to drop the oldest) and sorted (for O(1) order statistics), so adding a score
costs one binary search and one memmove, and any quantile is an index.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Sequence


class ScoreWindow:
    """The last ``size`` scores :math:`x_1 \\le \\dots \\le x_n` (sorted), :math:`n \\le` ``size``."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a score window needs size >= 1, got {size}")
        self.size = size
        self._arrivals: deque[float] = deque()
        self._sorted: list[float] = []

    def __len__(self) -> int:
        return len(self._sorted)

    def add(self, score: float) -> None:
        """Append ``score``, dropping the oldest once the window holds ``size`` scores."""
        self._arrivals.append(score)
        insort(self._sorted, score)
        if len(self._arrivals) > self.size:
            del self._sorted[bisect_left(self._sorted, self._arrivals.popleft())]

    def upper_quantiles(self, signs: Sequence[float], tails: Sequence[float]) -> list[float]:
        """Per column, the split-conformal upper ``1 - tail`` quantile of ``sign * x`` over the window
        (``sign`` = ±1):

        .. math:: \\hat q = (\\text{sign}\\,x)_{(k)},\\quad k = \\lceil (n + 1)(1 - \\text{tail}) \\rceil,

        with :math:`k` clipped to :math:`[1, n]`: where the exact conformal quantile is infinite
        (:math:`k > n`) it is the window's extreme, so it is always finite.
        """
        ordered, n = self._sorted, len(self._sorted)
        out = []
        for sign, tail in zip(signs, tails, strict=True):
            k = math.ceil((n + 1) * (1.0 - tail))
            k = 1 if k < 1 else n if k > n else k
            out.append(ordered[k - 1] if sign > 0 else -ordered[n - k])
        return out

    def span(self) -> tuple[float, float]:
        """Smallest and largest score in the window."""
        return self._sorted[0], self._sorted[-1]
