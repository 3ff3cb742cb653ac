"""Training losses on the log scale: y > 0 is the target variance, s the log-variance forecast.

    QLIKE(y, e^s) = y e^{-s} + s - log y - 1 = exp(d) - d - 1,  d = log y - s   (>= 0, 0 iff s = log y)
    log-MSE       = (log y - s)^2
    pinball_p(u)  = max(p u, (p - 1) u),  u = log y - q(p),  averaged over the quantile levels

QLIKE is minimised in expectation by e^s = E[y], so exp(s) is a forecast of the mean variance. Written in d,
it needs no y e^{-s} overflow guard beyond clamping d (a gradient of e^{30} is useless anyway).
"""

from __future__ import annotations

import torch
from torch import Tensor

from forge_core.nets.train_config import POINT_LOSSES

MAX_LOG_RATIO = 30.0


def point_loss(s: Tensor, log_y: Tensor, kind: str) -> Tensor:
    """Mean QLIKE or log-MSE of log-variance forecasts ``s`` for log targets ``log_y``."""
    d = log_y - s
    if kind == "qlike":
        d = d.clamp(max=MAX_LOG_RATIO)
        return (torch.expm1(d) - d).mean()
    if kind == "log_mse":
        return d.pow(2).mean()
    raise ValueError(f"point loss must be one of {POINT_LOSSES}, got {kind!r}")


def pinball(quantiles: Tensor, log_y: Tensor, levels: tuple[float, ...]) -> Tensor:
    """Mean pinball loss of log-quantiles (batch, n_levels) at ``levels``."""
    p = torch.as_tensor(levels, dtype=quantiles.dtype, device=quantiles.device)
    u = log_y[:, None] - quantiles
    return torch.maximum(p * u, (p - 1) * u).mean()


def total_loss(
    s: Tensor, quantiles: Tensor, log_y: Tensor, kind: str, levels: tuple[float, ...], quantile_weight: float
) -> Tensor:
    """point + quantile_weight * pinball, computed in float32 (outputs under bf16 autocast are upcast)."""
    s, quantiles, log_y = s.float(), quantiles.float(), log_y.float()
    return point_loss(s, log_y, kind) + quantile_weight * pinball(quantiles, log_y, levels)
