"""The h-day feedback delay, written once: every method sees a score only on the day it is realised.

A forecast made at the close of day position :math:`i` is for the mean variance over :math:`i+1..i+h`, realised at
the close of :math:`i + h`. So the interval for day :math:`j` may use the scores of rows :math:`i \\le j - h` only.
``run_delayed`` walks the days in order and, at each day :math:`j`, first hands the method the one score that
has just been realised (row :math:`j - h`, together with the thresholds the method issued for that row, so that
ACI and PID update with the error that has just become known: with :math:`h > 1`, the errors of rows
:math:`j-h+1..j-1` are still pending), and only then asks it for day :math:`j`'s thresholds. No method is given
scores any other way, which is what makes every method free of look-ahead.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from forge_core.intervals.log_scores import FloatArray, ScoreSides
from forge_core.intervals.score_window import ScoreWindow


class OnlineMethod(ABC):
    """A conformal method run online over one series: it keeps a ``ScoreWindow`` of ``params.window`` scores.

    Subclasses declare ``name``, ``description`` and ``Params`` (a frozen dataclass with a ``window`` field)
    and implement ``thresholds`` and, if they adapt, ``learn``.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[Any]]

    def __init__(self, params: Any, sides: ScoreSides) -> None:
        if not isinstance(params, self.Params):
            raise TypeError(f"{self.name} takes {self.Params.__name__}, got {type(params).__name__}")
        self.params = params
        self.signs = sides.signs
        self.tails = sides.tails
        self.window = ScoreWindow(params.window)

    def observe(self, score: float, issued: Sequence[float] | None) -> None:
        """Take a newly realised score of a row and the thresholds issued for that row (None if none was)."""
        self.window.add(score)
        if issued is not None:
            self.learn(score, issued)

    def learn(self, score: float, issued: Sequence[float]) -> None:  # noqa: B027 - split conformal learns nothing
        """Update the adaptive state from the errors :math:`\\text{err}_c = 1\\{\\sigma_c x > q_c\\}` of a row."""

    @abstractmethod
    def thresholds(self) -> list[float]:
        """Today's quantile per column, from what has been observed so far (the window holds >= 1 score)."""


@dataclass(frozen=True)
class Delayed:
    """``thresholds`` (days, columns), NaN on days without an interval; ``realised_scores``: per day, how many
    scores had been realised by its close."""

    thresholds: FloatArray
    realised_scores: NDArray[np.int64]


def run_delayed(method: OnlineMethod, content: FloatArray, horizon: int, min_scores: int) -> Delayed:
    """Run ``method`` over ``content`` (one score per day, NaN where unknown) under the h-day delay.

    At day :math:`j` it observes the score of row :math:`i = j - h` (if finite), then issues thresholds for day
    :math:`j` once at least ``min_scores`` scores have been realised.
    """
    n, columns = len(content), len(method.signs)
    values = content.tolist()
    issued: list[list[float] | None] = [None] * n
    realised = np.zeros(n, dtype=np.int64)
    seen = 0
    for j in range(n):
        i = j - horizon
        if i >= 0 and math.isfinite(values[i]):
            method.observe(values[i], issued[i])
            seen += 1
        realised[j] = seen
        if seen >= min_scores:
            issued[j] = method.thresholds()
    thresholds = np.full((n, columns), np.nan)
    rows = [j for j, row in enumerate(issued) if row is not None]
    if rows:
        thresholds[rows] = [issued[j] for j in rows]
    return Delayed(thresholds, realised)
