"""Stacking: the weights on the simplex whose combination had the least QLIKE on past out-of-sample forecasts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from forge_core.ensembles.combiner import CombinerParams, HeldWeights
from forge_core.ensembles.visible_history import FloatArray, VisibleHistory

MAX_ITERATIONS = 100
TOLERANCE = 1e-12  # relative decrease of the objective at which the iterations stop
MIN_STEP = 1e-6
SUM_PENALTY = 1e4  # weight of the sum-to-one row in the least-squares step, relative to the largest entry


def qlike_stacking_weights(
    forecasts: FloatArray, realised: FloatArray, start: FloatArray | None = None
) -> FloatArray:
    """The simplex weights minimising the mean QLIKE of the linear pool :math:`c_i = f_i^\\top w`:

    .. math:: \\hat w = \\arg\\min_{w \\ge 0,\\ \\mathbf 1^\\top w = 1}
        \\frac{1}{n} \\sum_{i=1}^n \\Big( \\frac{y_i}{c_i} + \\log c_i \\Big)

    (QLIKE up to terms free of w), by projected Fisher scoring from ``start`` (default equal weights): QLIKE is
    the Gamma deviance, whose scoring step is the weighted least squares
    :math:`\\min_w \\sum_i (y_i - f_i^\\top w)^2 / c_i^2` on the simplex (NNLS with a heavily weighted
    sum-to-one row), halved until the objective decreases. ``forecasts`` (n, m) > 0 and ``realised`` (n,) >= 0
    are finite; both are divided by the mean forecast, which leaves the minimiser unchanged.
    """
    scale = float(forecasts.mean())
    f, y = forecasts / scale, realised / scale
    w = np.full(f.shape[1], 1.0 / f.shape[1]) if start is None else start
    value = _mean_qlike(f, y, w)
    for _ in range(MAX_ITERATIONS):
        target = _scoring_step(f, y, w)
        step, candidate, candidate_value = 1.0, target, _mean_qlike(f, y, target)
        while candidate_value > value and step > MIN_STEP:
            step /= 2
            candidate = w + step * (target - w)
            candidate_value = _mean_qlike(f, y, candidate)
        if candidate_value > value:
            break
        decrease = value - candidate_value
        w, value = candidate, candidate_value
        if decrease <= TOLERANCE * abs(value):
            break
    return w


def _mean_qlike(f: FloatArray, y: FloatArray, w: FloatArray) -> float:
    pool = f @ w
    return float(np.mean(y / pool + np.log(pool)))


def _scoring_step(f: FloatArray, y: FloatArray, w: FloatArray) -> FloatArray:
    """The simplex minimiser of sum_i ((y_i - f_i w) / c_i)^2 at the current pool c = f w."""
    pool = f @ w
    a, b = f / pool[:, None], y / pool
    penalty = SUM_PENALTY * float(np.abs(a).max())
    solution, _ = nnls(np.vstack([a, np.full(a.shape[1], penalty)]), np.append(b, penalty))
    weights: FloatArray = solution / float(solution.sum())
    return weights


@dataclass(frozen=True)
class StackingParams(CombinerParams):
    window: int | None = None  # scored rows to fit on, the most recent; None: all of them

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window is not None and self.window < 2:
            raise ValueError(f"stacking: window must be >= 2 or None, got {self.window}")


class StackingCombiner(HeldWeights):
    """At each block start b, the simplex weights of the linear pool with the least mean QLIKE on the realised
    rows S_b visible then (the last ``window`` of them), held through the block:

    .. math:: w_b = \\arg\\min_{w \\in \\Delta_m} \\frac{1}{|S_b|} \\sum_{i \\in S_b} L(y_i, f_i^\\top w)

    solved by :func:`qlike_stacking_weights` from the previous block's weights."""

    name = "stacking"
    description = "Non-negative weights summing to one with the least QLIKE on past out-of-sample forecasts."
    Params = StackingParams
    hyper: StackingParams

    def _fit(self, history: VisibleHistory, previous: FloatArray | None) -> FloatArray:
        rows = history.recent(self.hyper.window)
        return qlike_stacking_weights(history.forecasts[rows], history.realised[rows], previous)
