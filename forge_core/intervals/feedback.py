"""The h-day feedback delay, written once: every method sees a score only on the day it is realised.

A forecast made at the close of day position :math:`i` is for the mean variance over :math:`i+1..i+h`, realised at
the close of :math:`i + h`. So the interval for day :math:`j` may use the scores of rows :math:`i \\le j - h` only.
``run_delayed`` walks the days in order and, at each day :math:`j`, first hands the method the one score that
has just been realised (row :math:`j - h`, together with the bands the method issued for that row, so that PID
updates with the error that has just become known: with :math:`h > 1`, the errors of rows :math:`j-h+1..j-1` are
still pending), and only then asks it for day :math:`j`'s bands. No method is given
scores any other way, which is what makes every method free of look-ahead.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from forge_core.intervals.log_scores import FloatArray, ScoreSides
from forge_core.intervals.online_kernels import run_online


class OnlineMethod(ABC):
    """A conformal method run online over one series, drawing its quantiles from a trailing window of
    ``params.window`` realised scores.

    Subclasses declare ``name``, ``description``, ``Params`` (a frozen dataclass with a ``window`` field) and
    ``kernel`` (its code in ``online_kernels``, which holds every method's update), and pass their rates to it
    through ``rates``.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[Any]]
    kernel: ClassVar[int]

    def __init__(self, params: Any, sides: ScoreSides) -> None:
        if not isinstance(params, self.Params):
            raise TypeError(f"{self.name} takes {self.Params.__name__}, got {type(params).__name__}")
        self.params = params
        self.sides = sides

    def rates(self) -> FloatArray:
        """The kernel's rates (see ``online_kernels.run_online``); none for a method that does not adapt."""
        return np.zeros(0)


@dataclass(frozen=True)
class Delayed:
    """``lower`` and ``upper`` log bounds (days, levels) and ``log_mean``, the log correction of the point (see
    ``log_scores``), NaN on days without an interval; ``realised_scores``: per day, how many
    scores had been realised by its close."""

    lower: FloatArray
    upper: FloatArray
    log_mean: FloatArray
    realised_scores: NDArray[np.int64]


def run_delayed(method: OnlineMethod, content: FloatArray, horizon: int, min_scores: int) -> Delayed:
    """Run ``method`` over ``content`` (one score per day, NaN where unknown) under the h-day delay.

    At day :math:`j` it observes the score of row :math:`i = j - h` (if finite) and learns from the bands it issued
    for row :math:`i`, then issues bands for day :math:`j` once at least ``min_scores`` scores have been realised.
    """
    return Delayed(
        *run_online(
            np.ascontiguousarray(content, dtype=np.float64),
            horizon,
            min_scores,
            np.asarray(method.sides.tails, dtype=np.float64),
            method.sides.symmetric,
            method.kernel,
            int(method.params.window),
            method.rates(),
        )
    )
