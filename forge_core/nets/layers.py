"""Building blocks: RMSNorm, SwiGLU, grouped-query causal self-attention and a causal dilated convolution."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * g  over the last dimension (no centring, no bias)."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class SwiGLU(nn.Module):
    """Feed-forward  W2 (silu(W1 x) * W3 x)  with dropout on the output."""

    def __init__(self, dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.dropout(self.down(F.silu(self.gate(x)) * self.up(x)))
        return out


class GroupedQueryAttention(nn.Module):
    """Causal self-attention with ``n_heads`` query heads sharing ``n_kv_heads`` key/value heads (GQA):
    query head i reads key/value head i // (n_heads / n_kv_heads). n_kv_heads = n_heads is multi-head
    attention, n_kv_heads = 1 multi-query attention."""

    def __init__(self, dim: int, n_heads: int, n_kv_heads: int, dropout: float) -> None:
        super().__init__()
        if dim % n_heads or n_heads % n_kv_heads:
            raise ValueError(
                f"need n_heads | dim and n_kv_heads | n_heads, got {dim}, {n_heads}, {n_kv_heads}"
            )
        self.n_heads, self.n_kv_heads, self.head_dim = n_heads, n_kv_heads, dim // n_heads
        self.query = nn.Linear(dim, dim, bias=False)
        self.key_value = nn.Linear(dim, 2 * n_kv_heads * self.head_dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)
        self.dropout = dropout

    def forward(self, x: Tensor) -> Tensor:
        b, length, dim = x.shape
        q = self.query(x).view(b, length, self.n_heads, self.head_dim).transpose(1, 2)
        k, v = self.key_value(x).view(b, length, 2, self.n_kv_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0, enable_gqa=True
        )
        out: Tensor = self.out(y.transpose(1, 2).reshape(b, length, dim))
        return out


class CausalConvBlock(nn.Module):
    """Residual block of two causal dilated convolutions: y_t depends on x_{t - 2 (k-1) d} .. x_t only
    (left zero-padding of (k-1) d), so a stack with dilations 1, 2, 4, .. sees 1 + 2 (k-1) sum(d) steps."""

    def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:  # (batch, channels, time)
        y: Tensor = self.dropout(F.gelu(self.conv1(F.pad(x, (self.pad, 0)))))
        y = self.dropout(F.gelu(self.conv2(F.pad(y, (self.pad, 0)))))
        return x + y
