"""Per-observation losses for variance forecasts and summaries of interval forecasts.

``y`` is a realised variance proxy and ``f`` a variance forecast for the same day.  MSE and QLIKE are the two
losses that are *robust* in Patton's (2011) sense: the ranking of forecasts they imply in expectation is the same
whether ``y`` is the true variance or a conditionally unbiased noisy proxy of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def as_vector(name: str, values: ArrayLike) -> FloatArray:
    """``values`` as a finite 1-d float array; ValueError naming ``name`` and the first bad index otherwise."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(f"{name} has a non-finite value at index {bad[0]}: {array[bad[0]]}")
    return array


def _require_same_length(**arrays: FloatArray) -> None:
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"inputs differ in length: {lengths}")


def _require_positive(name: str, array: FloatArray, context: str) -> None:
    bad = np.flatnonzero(array <= 0)
    if bad.size:
        raise ValueError(f"{name} must be > 0 for {context}; {name}[{bad[0]}] = {array[bad[0]]}")


def mse(y: ArrayLike, f: ArrayLike) -> FloatArray:
    """Squared error per observation: L_t = (y_t - f_t)^2."""
    y_arr, f_arr = as_vector("y", y), as_vector("f", f)
    _require_same_length(y=y_arr, f=f_arr)
    _require_positive("f", f_arr, "a variance forecast")
    return (y_arr - f_arr) ** 2


def qlike(y: ArrayLike, f: ArrayLike) -> FloatArray:
    """Patton's robust QLIKE per observation: L_t = y_t/f_t - log(y_t/f_t) - 1.

    Non-negative, zero iff f_t = y_t, and E[L_t] is minimised over f_t at f_t = E_{t-1}[y_t].
    """
    y_arr, f_arr = as_vector("y", y), as_vector("f", f)
    _require_same_length(y=y_arr, f=f_arr)
    _require_positive("f", f_arr, "QLIKE")
    _require_positive("y", y_arr, "QLIKE")
    ratio = y_arr / f_arr
    return ratio - np.log(ratio) - 1.0


def pinball(y: ArrayLike, q: ArrayLike, level: float) -> FloatArray:
    """Pinball (quantile) loss of a ``level``-quantile forecast: L_t = (level - 1{y_t < q_t}) (y_t - q_t)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    y_arr, q_arr = as_vector("y", y), as_vector("q", q)
    _require_same_length(y=y_arr, q=q_arr)
    return (level - (y_arr < q_arr)) * (y_arr - q_arr)


def _interval(lower: ArrayLike, upper: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lower_arr, upper_arr = as_vector("lower", lower), as_vector("upper", upper)
    _require_same_length(lower=lower_arr, upper=upper_arr)
    bad = np.flatnonzero(lower_arr > upper_arr)
    if bad.size:
        raise ValueError(f"lower > upper at index {bad[0]}: {lower_arr[bad[0]]} > {upper_arr[bad[0]]}")
    if lower_arr.size == 0:
        raise ValueError("an interval summary needs at least one observation")
    return lower_arr, upper_arr


def interval_coverage(y: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Empirical coverage: (1/n) Σ 1{lower_t <= y_t <= upper_t}."""
    lower_arr, upper_arr = _interval(lower, upper)
    y_arr = as_vector("y", y)
    _require_same_length(y=y_arr, lower=lower_arr)
    return float(np.mean((lower_arr <= y_arr) & (y_arr <= upper_arr)))


def interval_width(lower: ArrayLike, upper: ArrayLike) -> float:
    """Mean width: (1/n) Σ (upper_t - lower_t)."""
    lower_arr, upper_arr = _interval(lower, upper)
    return float(np.mean(upper_arr - lower_arr))


@dataclass(frozen=True)
class IntervalScore:
    """Coverage and mean width of ``n`` interval forecasts with ``nominal`` coverage (e.g. 0.9)."""

    nominal: float
    coverage: float
    mean_width: float
    n: int

    @classmethod
    def evaluate(cls, y: ArrayLike, lower: ArrayLike, upper: ArrayLike, nominal: float) -> IntervalScore:
        """Score the intervals [lower_t, upper_t] against the realisations ``y``."""
        if not 0.0 < nominal < 1.0:
            raise ValueError(f"nominal coverage must be in (0, 1), got {nominal}")
        return cls(
            nominal=nominal,
            coverage=interval_coverage(y, lower, upper),
            mean_width=interval_width(lower, upper),
            n=len(as_vector("y", y)),
        )
