"""The meta-combiner's network in torch (``forge_core.ensembles.meta_combiner``), imported by the combiner when it
fits or mixes: the combiner registry declares ``meta`` without loading torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

LOG_STD_BOUNDS = (-5.0, 3.0)  # exp: 0.007 .. 20 in log-variance units


@dataclass(frozen=True, eq=False)
class Mix:
    """What the mixer gives for n days of m members (``GatedMixer.forward``).

    Attributes
    ----------
    weights : Tensor
        The members' weights (n, m).
    log_variance : Tensor
        The combined log variance :math:`\\mu` (n,).
    log_std : Tensor
        The log std of the log target :math:`\\log \\sigma` (n,).
    """

    weights: Tensor
    log_variance: Tensor
    log_std: Tensor


class GatedMixer(nn.Module):
    """Mean head (gated): :math:`g = \\tanh(W_1 z + b_1)`, :math:`w = \\mathrm{softmax}(W_2 g + b_2)`,
    :math:`\\mu = \\sum_k w_k \\log f_k`; uncertainty head (linear in the inputs: one on the hidden layer
    learnt spreads that were far too small out of sample): :math:`\\log \\sigma = u^\\top z + c`.

    The heads start at zero weights, so an untrained mixer is the geometric mean with a constant spread."""

    def __init__(self, n_inputs: int, n_members: int, hidden: int, log_std: float) -> None:
        super().__init__()
        self.trunk = nn.Linear(n_inputs, hidden)
        self.gate = nn.Linear(hidden, n_members)
        self.spread = nn.Linear(n_inputs, 1)
        for head in (self.gate, self.spread):
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        nn.init.constant_(self.spread.bias, log_std)

    def forward(self, z: Tensor, log_forecasts: Tensor) -> Mix:
        """The weights, combined log variance and log std of ``z``'s days."""
        g = torch.tanh(self.trunk(z))
        weights = torch.softmax(self.gate(g), dim=-1)
        log_std = self.spread(z).squeeze(-1).clamp(*LOG_STD_BOUNDS)
        return Mix(weights, (weights * log_forecasts).sum(-1), log_std)


def lognormal_nll(log_y: Tensor, mu: Tensor, log_std: Tensor) -> Tensor:
    """Mean Gaussian NLL of :math:`\\log y \\sim N(\\mu - \\sigma^2/2, \\sigma^2)`: :math:`e^\\mu` is then the
    conditional mean of y, as the members' forecasts are (constants dropped)."""
    var = torch.exp(2 * log_std)
    return (0.5 * (log_y - mu + var / 2) ** 2 / var + log_std).mean()


def qlike_of_log(log_y: Tensor, mu: Tensor) -> Tensor:
    """Mean QLIKE of the forecast :math:`e^\\mu` up to a constant: :math:`\\overline{y e^{-\\mu} + \\mu}`."""
    return (torch.exp(log_y - mu) + mu).mean()


def float_tensor(array: np.ndarray, device: torch.device) -> Tensor:
    """``array`` as a float32 tensor on ``device``."""
    return torch.as_tensor(array, dtype=torch.float32, device=device)
