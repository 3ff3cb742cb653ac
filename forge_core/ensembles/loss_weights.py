"""Weights from the members' past QLIKE: inverse trailing loss (Bates-Granger) and a discounted Hedge update."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forge_core.ensembles.combiner import Combiner, CombinerParams, HeldWeights, held
from forge_core.ensembles.visible_history import FloatArray, IndexArray, PanelArrays, VisibleHistory

LOSS_FLOOR = 1e-12


@dataclass(frozen=True)
class InverseQlikeParams(CombinerParams):
    window: int = 250  # the most recent scored rows

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window < 1:
            raise ValueError(f"inverse_qlike: window must be >= 1, got {self.window}")


class InverseQlikeCombiner(HeldWeights):
    """Bates-Granger weights on the mean QLIKE of the last ``window`` scored rows S, held through the block.

    .. math:: w_k \\propto \\Big( \\frac{1}{|S|} \\sum_{i \\in S} L_{ik} \\Big)^{-1}
    """

    name = "inverse_qlike"
    description = "Weights inversely proportional to each member's trailing mean QLIKE (Bates-Granger)."
    Params = InverseQlikeParams
    hyper: InverseQlikeParams

    def _fit(self, history: VisibleHistory, previous: FloatArray | None) -> FloatArray:
        mean_loss = history.losses[history.recent(self.hyper.window)].mean(axis=0)
        inverse: FloatArray = 1.0 / np.maximum(mean_loss, LOSS_FLOOR)
        return inverse / float(inverse.sum())


@dataclass(frozen=True)
class OnlineParams(CombinerParams):
    decay: float = 0.97  # lambda: a row's weight in the loss sums per trading day of age
    eta: float = 0.5  # learning rate on losses relative to their mean

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.decay <= 1 or self.eta <= 0:
            raise ValueError(f"online: need 0 < decay <= 1 and eta > 0, got {self.decay}, {self.eta}")


@dataclass(frozen=True)
class OnlineState:
    """Discounted loss sums as of position ``t``: :math:`D_{tk}` (``sums``), :math:`\\sum d_i` (``discounts``)
    over the ``known`` rows realised by then, and the weights they give."""

    t: int
    known: int
    sums: FloatArray
    discounts: float
    weights: FloatArray


class OnlineCombiner(Combiner[OnlineState]):
    """Exponentially weighted (Hedge) weights on discounted QLIKE sums, refreshed every day as targets realise.

    With S_t the rows realised by t and discounts :math:`d_i = \\lambda^{t - h - i}`,

    .. math::
        D_{tk} = \\sum_{i \\in S_t} d_i L_{ik}, \\qquad
        \\bar L_t = \\frac{\\sum_{i \\in S_t} d_i \\frac{1}{m}\\sum_j L_{ij}}{\\sum_{i \\in S_t} d_i}, \\qquad
        w_{tk} \\propto \\exp\\big(-\\eta \\, (D_{tk} - \\min_j D_{tj}) / \\bar L_t\\big),

    Hedge with forgetting (recursively :math:`w_{tk} \\propto w_{t-1,k}^{\\lambda} e^{-\\eta L_{t-h,k}/\\bar L}`)
    on losses measured in units of their mean level, so the same ``eta`` suits every horizon and proxy. The sums
    are carried from fit to fit, :math:`D_{tk} = \\lambda^{t - t'} D_{t'k} + \\sum_{i \\in S_t \\setminus S_{t'}}
    d_i L_{ik}`, so a daily refit costs only the rows realised since the last one.
    """

    name = "online"
    description = "Hedge weights on exponentially discounted QLIKE, updated every day as targets realise."
    refit = "D"
    Params = OnlineParams
    hyper: OnlineParams

    def _fit(self, history: VisibleHistory, previous: OnlineState | None) -> OnlineState:
        known = len(history.realised)
        since = 0 if previous is None else previous.known
        rows = history.scored_rows[np.searchsorted(history.scored_rows, since) :]
        decay = self.hyper.decay
        discount = decay ** (history.t - history.horizon - rows).astype(np.float64)
        sums = discount @ history.losses[rows]
        discounts = float(discount.sum())
        if previous is not None:
            carried = decay ** (history.t - previous.t)
            sums, discounts = sums + carried * previous.sums, discounts + carried * previous.discounts
        level = max(float(sums.mean()) / discounts, LOSS_FLOOR)
        weights: FloatArray = np.exp(-self.hyper.eta * (sums - sums.min()) / level)
        return OnlineState(history.t, known, sums, discounts, weights / float(weights.sum()))

    def _mix_days(
        self, state: OnlineState, arrays: PanelArrays, days: IndexArray
    ) -> tuple[FloatArray, FloatArray]:
        return held(state.weights, days)
