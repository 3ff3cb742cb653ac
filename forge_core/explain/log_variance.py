"""What the SHAP explainers of a net differentiate (torch), imported by ``global_importance`` when it explains a net:
the feature-importance assets declare themselves without loading torch."""

from __future__ import annotations

from torch import Tensor, nn


class LogVariance(nn.Module):
    """A net's point output s as a (batch, 1) tensor: what the SHAP explainers differentiate."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor) -> Tensor:
        s: Tensor = self.net(x)[0]
        return s.unsqueeze(1)
