"""The two rules every published band is checked by, written once (intervals, the live sets, the reports).

With levels ordered from the innermost (50%) to the outermost, and per day bounds ``lower[:, j] <= upper[:, j]``:

- **incoherent**: the bands are not nested (``lower`` not falling or ``upper`` not rising with the level), a
  band is inverted, or the innermost upper end is not strictly below the outermost;
- **skewed**: the point lies outside the innermost band, which the calibration allows only where its window of
  scores is so skewed that the mean passes a quartile (``forge_core.intervals.log_scores``). Such a row is flagged,
  never moved.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def skewed(point: ArrayLike, inner_lower: ArrayLike, inner_upper: ArrayLike) -> NDArray[np.bool_]:
    """Rows whose ``point`` lies outside the innermost band ``[inner_lower, inner_upper]``."""
    p = np.asarray(point, dtype=float)
    return np.asarray((p < np.asarray(inner_lower, dtype=float)) | (p > np.asarray(inner_upper, dtype=float)))


def incoherent(lower: ArrayLike, upper: ArrayLike) -> NDArray[np.bool_]:
    """Rows (days) of ``lower``/``upper``, shaped (days, levels) innermost first, whose bands are not coherent."""
    low, high = np.atleast_2d(np.asarray(lower, dtype=float)), np.atleast_2d(np.asarray(upper, dtype=float))
    nested = (np.diff(low, axis=1) <= 0).all(1) & (np.diff(high, axis=1) >= 0).all(1)
    return np.asarray(~nested | (low[:, 0] > high[:, 0]) | (high[:, 0] >= high[:, -1]))
