"""A learned, context-aware meta-combiner: a small gated network in torch (``forge_core.ensembles.gated_mixer``,
imported when the combiner fits or mixes) that weights the members' log forecasts by the day's context and says how
uncertain the combination is."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from forge_core.ensembles.combiner import Combiner, CombinerParams
from forge_core.ensembles.visible_history import FloatArray, IndexArray, PanelArrays, VisibleHistory

if TYPE_CHECKING:
    from torch import Tensor

    from forge_core.ensembles.gated_mixer import GatedMixer, Mix

MIN_FEATURE_SCALE = 1e-8
MIN_SPREAD = 1e-3  # the initial std of the log target, at least


@dataclass(frozen=True)
class MetaParams(CombinerParams):
    hidden: int = 16
    steps: int = 60  # L-BFGS iterations of the first fit
    refit_steps: int = 20  # iterations of each later fit, warm-started from the previous network
    shrinkage: float = 0.01  # L2 penalty on the gate and trunk weights: pulls the weights towards equal ones
    window: int | None = 750  # the most recent scored rows to train on; None: all of them
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if min(self.hidden, self.steps, self.refit_steps) < 1 or self.shrinkage < 0:
            raise ValueError("meta: hidden, steps and refit_steps must be >= 1 and shrinkage >= 0")
        if self.window is not None and self.window < 2:
            raise ValueError(f"meta: window must be >= 2 or None, got {self.window}")


@dataclass(frozen=True, eq=False)
class MetaState:
    net: GatedMixer  # in eval mode, on the combiner's device
    centre: FloatArray  # input standardisation, from the training rows
    scale: FloatArray


class MetaCombiner(Combiner[MetaState]):
    """Context-aware weights on the members' log forecasts from a small gated network.

    The inputs of day t are the members' log forecasts about their mean, that mean, and the context row, each
    standardised on the training rows: :math:`z_t = (\\log f_{tk} - \\overline{\\log f_t},\\
    \\overline{\\log f_t},\\ c_t)`. The mixer (:class:`GatedMixer`) gives

    .. math:: \\hat v_t = \\exp\\Big(\\sum_k w_k(z_t) \\log f_{tk}\\Big), \\qquad
        \\log y_{t} \\sim N\\big(\\log \\hat v_t - \\sigma_t^2/2,\\ \\sigma_t^2\\big),

    fitted by full-batch L-BFGS on the last ``window`` realised rows visible at the block start: the mean head
    on QLIKE (:func:`qlike_of_log`, the loss the ensembles are ranked by) plus ``shrinkage`` times the squared
    trunk and gate weights (at zero the weights are equal: the penalty shrinks towards the geometric mean), the
    uncertainty head on the Gaussian NLL (:func:`lognormal_nll`) around the mean head's forecast, held fixed.
    ``steps`` iterations from a seeded start at the first fit, ``refit_steps`` from the previous network after.
    Deterministic for a seed on CPU (one thread, deterministic kernels); runs on ``device``. Refits yearly.
    (Trained on the NLL alone with AdamW, as first built, it was both slower and worse than the best single model
    at every target of the recorded backtest: the NLL lets a wide spread excuse a biased mean.)
    """

    name = "meta"
    description = "Gated network weighting the members' log forecasts by context, with an uncertainty head."
    space = "log"
    refit = "Y"
    uncertain = True
    Params = MetaParams
    hyper: MetaParams

    def _fit(self, history: VisibleHistory, previous: MetaState | None) -> MetaState:
        import torch

        from forge_core.ensembles.gated_mixer import GatedMixer, float_tensor, lognormal_nll, qlike_of_log
        from forge_core.nets.trainer import reproducible

        rows = history.recent(self.hyper.window)
        log_f, log_y = history.log_forecasts[rows], history.log_realised[rows]
        inputs = _inputs(log_f, None if history.context is None else history.context[rows])
        centre, scale = inputs.mean(axis=0), np.maximum(inputs.std(axis=0), MIN_FEATURE_SCALE)
        device = torch.device(self.device)
        with reproducible(self.hyper.seed, device):
            if previous is None:
                spread = max(float(np.std(log_y - log_f.mean(axis=1))), MIN_SPREAD)
                net = GatedMixer(inputs.shape[1], log_f.shape[1], self.hyper.hidden, np.log(spread))
                steps = self.hyper.steps
            else:
                net, steps = copy.deepcopy(previous.net), self.hyper.refit_steps
            net.to(device).train()
            z, lf, ly = (float_tensor(a, device) for a in ((inputs - centre) / scale, log_f, log_y))
            shrunk = [net.trunk.weight, net.gate.weight]
            optimiser = torch.optim.LBFGS(
                net.parameters(), max_iter=steps, history_size=10, line_search_fn="strong_wolfe"
            )

            def closure() -> Tensor:
                optimiser.zero_grad(set_to_none=True)
                mix: Mix = net(z, lf)
                mu = mix.log_variance
                penalty = self.hyper.shrinkage * sum((w**2).sum() for w in shrunk)
                loss = qlike_of_log(ly, mu) + lognormal_nll(ly, mu.detach(), mix.log_std) + penalty
                loss.backward()
                return loss

            optimiser.step(closure)  # type: ignore[no-untyped-call]
        return MetaState(net.eval(), centre, scale)

    def _mix_days(
        self, state: MetaState, arrays: PanelArrays, days: IndexArray
    ) -> tuple[FloatArray, FloatArray]:
        """One forward pass over the block's days: each day's inputs are its own forecasts and context."""
        import torch

        from forge_core.ensembles.gated_mixer import float_tensor

        log_f, context = arrays.known_rows(days)
        device = torch.device(self.device)
        z = float_tensor((_inputs(log_f, context) - state.centre) / state.scale, device)
        with torch.no_grad():
            mix: Mix = state.net(z, float_tensor(log_f, device))
        return mix.weights.double().cpu().numpy(), torch.exp(mix.log_std).double().cpu().numpy()


def _inputs(log_f: FloatArray, context: FloatArray | None) -> FloatArray:
    """The unstandardised inputs of rows with log forecasts ``log_f`` and ``context``: the log forecasts about
    their mean, the mean, the context."""
    level = log_f.mean(axis=1, keepdims=True)
    parts = [log_f - level, level] + ([] if context is None else [context])
    return np.concatenate(parts, axis=1)
