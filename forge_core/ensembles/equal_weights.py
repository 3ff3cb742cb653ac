"""Equal weights, in levels (arithmetic mean) and in logs (geometric mean): nothing to learn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from forge_core.ensembles.combiner import CombinerParams, HeldWeights
from forge_core.ensembles.visible_history import FloatArray, VisibleHistory


@dataclass(frozen=True)
class EqualParams(CombinerParams):
    least_history: ClassVar[int] = 0
    min_history: int = 0  # nothing to fit, so never a fallback


class EqualCombiner(HeldWeights):
    """The arithmetic mean of the members.

    .. math:: \\hat v_t = \\frac{1}{m} \\sum_{k=1}^m f_{tk}
    """

    name = "equal"
    description = "Arithmetic mean of the member forecasts."
    Params = EqualParams

    def _fit(self, history: VisibleHistory, previous: FloatArray | None) -> FloatArray:
        m = len(history.members)
        return np.full(m, 1.0 / m)


class EqualLogCombiner(EqualCombiner):
    """The geometric mean of the members.

    .. math:: \\hat v_t = \\exp\\Big(\\frac{1}{m} \\sum_{k=1}^m \\log f_{tk}\\Big)
    """

    name = "equal_log"
    description = "Geometric mean of the member forecasts (equal weights on their logs)."
    space = "log"
