"""Best-recent selection: the members in the model confidence set of the trailing period, equally weighted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from forge_core.ensembles.combiner import CombinerParams, HeldWeights
from forge_core.ensembles.visible_history import FloatArray, VisibleHistory
from forge_core.evaluation.mcs import default_block_size, model_confidence_set


@dataclass(frozen=True)
class BestRecentParams(CombinerParams):
    least_history: ClassVar[int] = 2  # the MCS needs two days
    window: int = 250  # the most recent scored rows
    size: float = 0.10  # MCS size: a member stays while its MCS p-value > size
    reps: int = 200  # bootstrap resamples
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window < 2 or self.reps < 1:
            raise ValueError(f"best_recent: need window >= 2 and reps >= 1, got {self.window}, {self.reps}")


class BestRecentCombiner(HeldWeights):
    """Equal weights on the (1 - size) model confidence set (Hansen, Lunde and Nason 2011) of the members' QLIKE
    over the last ``window`` scored rows, refitted per block and held through it:

    .. math:: w_k = \\frac{1\\{k \\in \\widehat{\\mathcal M}_{1-\\alpha}\\}}{|\\widehat{\\mathcal M}_{1-\\alpha}|}

    The best recent member always belongs to the set; the others stay while the data cannot tell them apart
    from it. Bootstrap blocks are at least h long (overlapping targets), see ``default_block_size``.
    """

    name = "best_recent"
    description = "Equal weights on the members in the model confidence set of the trailing year's QLIKE."
    refit = (
        "Q"  # an MCS costs ~5 ms (arch resamples in a Python loop); a year's window moves little in a month
    )
    Params = BestRecentParams
    hyper: BestRecentParams

    def _fit(self, history: VisibleHistory, previous: FloatArray | None) -> FloatArray:
        losses = history.losses[history.recent(self.hyper.window)]
        kept = model_confidence_set(
            pd.DataFrame(losses, columns=list(history.members)),
            self.hyper.size,
            block_size=default_block_size(len(losses), history.horizon),
            reps=self.hyper.reps,
            seed=self.hyper.seed,
        ).included
        weights = np.isin(np.array(history.members), kept).astype(np.float64)
        return weights / float(weights.sum())
