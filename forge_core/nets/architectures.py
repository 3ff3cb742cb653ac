"""The network families. Each maps windows x (batch, L, k) of standardised features (L = 1 for the MLP) to

    s_t        point forecast of the log-variance (exp(s) estimates the mean variance under QLIKE)
    q_t(p)     log-target quantiles at QUANTILE_LEVELS, non-crossing by construction:
               q(0.5) = m,  q(p_{i+1}) = q(p_i) + softplus(a_i) + eps above the median,
               q(p_{i-1}) = q(p_i) - softplus(b_i) - eps below it.

A family only defines ``encode`` (x -> hidden vector of day t); the shared ``QuantileHead`` does the rest.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from forge_core.nets.inputs import HAR_COLUMNS
from forge_core.nets.layers import CausalConvBlock, GroupedQueryAttention, RMSNorm, SwiGLU
from forge_core.quantiles import QUANTILE_LEVELS

MIN_GAP = 1e-4  # smallest distance between adjacent log-quantiles


class QuantileHead(nn.Module):
    """hidden -> (s, log-quantiles); ``offset`` (batch, 2), when given, is added to s and the median."""

    def __init__(self, hidden: int, levels: tuple[float, ...] = QUANTILE_LEVELS) -> None:
        super().__init__()
        self.levels = levels
        self.n_down = levels.index(0.5)
        self.linear = nn.Linear(hidden, 1 + len(levels))  # s, median, one increment per other level

    def forward(self, h: Tensor, offset: Tensor | None = None) -> tuple[Tensor, Tensor]:
        out = self.linear(h)
        if offset is not None:
            out = torch.cat([out[:, :2] + offset, out[:, 2:]], dim=1)
        median = out[:, 1:2]
        gaps = F.softplus(out[:, 2:]) + MIN_GAP
        down = median - torch.cumsum(gaps[:, : self.n_down], dim=1)  # inner level first
        up = median + torch.cumsum(gaps[:, self.n_down :], dim=1)
        return out[:, 0], torch.cat([down.flip(1), median, up], dim=1)

    @torch.no_grad()
    def initialise(self, point: float, quantiles: np.ndarray) -> None:
        """Start near the constant forecast s = ``point`` with log-quantiles ``quantiles``: the weights are
        shrunk tenfold and the biases set so that a zero hidden vector gives exactly those."""
        mid = self.n_down
        gaps = np.concatenate([np.diff(quantiles[: mid + 1])[::-1], np.diff(quantiles[mid:])])  # inner first
        raw = np.maximum(gaps - MIN_GAP, 1e-6)
        inverse_softplus = raw + np.log(-np.expm1(-raw))  # log(exp(g) - 1), stable
        self.linear.weight.mul_(0.1)
        bias = np.concatenate([[point, quantiles[mid]], inverse_softplus])
        self.linear.bias.copy_(torch.as_tensor(bias, dtype=self.linear.bias.dtype))


class VolNet(nn.Module):
    """Base of the families: ``encode`` then the quantile head. ``skip`` is an optional linear path from the
    day-t features to (s, median), used by the MLP (HARNet-style)."""

    har_init: bool = False

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.head = QuantileHead(hidden)
        self.skip: nn.Linear | None = None

    def encode(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        offset = None if self.skip is None else self.skip(x[:, -1])
        out: tuple[Tensor, Tensor] = self.head(self.encode(x), offset)
        return out


class MLPNet(VolNet):
    """Feed-forward net on the features of day t plus a linear skip path (HARNet): with ``har_init`` the skip
    starts at the OLS fit of log y on the log-HAR features and the nonlinear path near zero."""

    def __init__(self, n_features: int, hidden: int, layers: int, dropout: float, har_init: bool) -> None:
        super().__init__(hidden)
        body: list[nn.Module] = []
        for i in range(layers):
            body += [nn.Linear(n_features if i == 0 else hidden, hidden), nn.GELU(), nn.Dropout(dropout)]
        self.body = nn.Sequential(*body)
        self.skip = nn.Linear(n_features, 2)
        nn.init.zeros_(self.skip.weight)
        nn.init.zeros_(self.skip.bias)
        self.har_init = har_init

    def encode(self, x: Tensor) -> Tensor:
        h: Tensor = self.body(x[:, -1])
        return h


class RecurrentNet(VolNet):
    """LSTM or GRU over the window; the last hidden state feeds the head."""

    CELLS: ClassVar[dict[str, type[nn.LSTM] | type[nn.GRU]]] = {"lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(self, cell: str, n_features: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__(hidden)
        self.rnn = self.CELLS[cell](
            n_features, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
        )
        self.dropout = nn.Dropout(dropout)

    def encode(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x)
        h: Tensor = self.dropout(out[:, -1])
        return h


def tcn_levels(seq_len: int, kernel_size: int) -> int:
    """Fewest blocks (dilations 1, 2, .., 2^(n-1)) whose receptive field 1 + 2 (k-1) (2^n - 1) covers seq_len."""
    return max(1, math.ceil(math.log2((seq_len - 1) / (2 * (kernel_size - 1)) + 1)))


class TCNNet(VolNet):
    """Temporal convolutional net: a 1x1 input projection, then causal dilated residual blocks; the output at the
    last step (day t) feeds the head. Its receptive field covers the whole window."""

    def __init__(self, n_features: int, hidden: int, seq_len: int, kernel_size: int, dropout: float) -> None:
        super().__init__(hidden)
        if kernel_size < 2:
            raise ValueError(f"kernel_size must be >= 2, got {kernel_size}")
        self.project = nn.Conv1d(n_features, hidden, 1)
        self.blocks = nn.Sequential(
            *(
                CausalConvBlock(hidden, kernel_size, 2**i, dropout)
                for i in range(tcn_levels(seq_len, kernel_size))
            )
        )

    def encode(self, x: Tensor) -> Tensor:
        h: Tensor = self.blocks(self.project(x.transpose(1, 2)))
        return h[:, :, -1]


def sinusoidal_positions(length: int, dim: int) -> Tensor:
    """PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d))."""
    t = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(t * freq)
    pe[:, 1::2] = torch.cos(t * freq[: dim // 2])
    return pe


class TransformerBlock(nn.Module):
    """Pre-norm block:  h += GQA(RMSNorm(h));  h += SwiGLU(RMSNorm(h))."""

    def __init__(self, dim: int, n_heads: int, n_kv_heads: int, dropout: float) -> None:
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(dim), RMSNorm(dim)
        self.attention = GroupedQueryAttention(dim, n_heads, n_kv_heads, dropout)
        self.ffn = SwiGLU(dim, 2 * dim, dropout)

    def forward(self, h: Tensor) -> Tensor:
        h = h + self.attention(self.norm1(h))
        out: Tensor = h + self.ffn(self.norm2(h))
        return out


class TransformerNet(VolNet):
    """Causal transformer encoder over the window (RMSNorm, SwiGLU, grouped-query attention, learned or sinusoidal
    positions); the last position (day t) feeds the head."""

    def __init__(
        self,
        n_features: int,
        hidden: int,
        seq_len: int,
        layers: int,
        n_heads: int,
        n_kv_heads: int,
        dropout: float,
        positions: str,
    ) -> None:
        super().__init__(hidden)
        self.embed = nn.Linear(n_features, hidden)
        if positions == "learned":
            self.positions = nn.Parameter(0.02 * torch.randn(seq_len, hidden))
        elif positions == "sinusoidal":
            self.register_buffer("positions", sinusoidal_positions(seq_len, hidden), persistent=False)
        else:
            raise ValueError(f"positions must be 'learned' or 'sinusoidal', got {positions!r}")
        self.blocks = nn.Sequential(
            *(TransformerBlock(hidden, n_heads, n_kv_heads, dropout) for _ in range(layers))
        )
        self.norm = RMSNorm(hidden)

    def encode(self, x: Tensor) -> Tensor:
        h: Tensor = self.norm(self.blocks(self.embed(x) + self.positions))
        return h[:, -1]


@torch.no_grad()
def initialise_output(net: VolNet, x: np.ndarray, log_y: np.ndarray, loss: str) -> None:
    """Start every family at a sensible forecast. With ``net.har_init`` the skip path is set to the OLS fit
    f = b0 + b' x_HAR of log y on the day-t log-HAR features, else f = 0; then the head starts at the constant
    that is optimal for the residuals r = log y - f:  s = log mean exp(r) (QLIKE) or mean r (log-MSE), and the
    log-quantiles at the empirical quantiles of r."""
    fitted = np.zeros_like(log_y)
    if net.har_init and net.skip is not None:
        design = np.column_stack([np.ones(len(x)), x[:, -1, :HAR_COLUMNS]]).astype(float)
        beta, *_ = np.linalg.lstsq(design, log_y, rcond=None)
        fitted = design @ beta
        net.skip.weight[:, :HAR_COLUMNS] = torch.as_tensor(beta[1:], dtype=net.skip.weight.dtype)
        net.skip.bias.fill_(float(beta[0]))
    r = log_y - fitted
    point = float(np.log(np.mean(np.exp(r - r.max()))) + r.max()) if loss == "qlike" else float(r.mean())
    net.head.initialise(point, np.quantile(r, net.head.levels))
