"""Global importance of a fitted model's inputs: SHAP contributions to its log-variance forecast over many rows,
and their mean absolute size per feature.

Which explainer depends on the family:

- one-row models (HAR, log-HAR): ``explain`` (permutation Shapley values, exactly additive);
- the MLP (one day's features): shap's ``DeepExplainer`` (DeepLIFT rescale rules with a background sample,
  additive by construction, checked by shap);
- sequence nets (LSTM, GRU, TCN, transformer): shap's ``GradientExplainer`` (expected gradients over the background
  windows), additive only in expectation: ``Importance.additivity_gap`` reports how far.

A net's contributions are per input day and feature of its window; a feature's contribution is the sum over the
window's days, which keeps additivity. The explained output is :math:`s(x) + \\sigma^2_b / 2`, the log of the net's
variance forecast. Recursions (GARCH, EWMA) have no feature inputs to explain. torch and shap are imported when a
net is explained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forge_core.explain.shap_values import Explanation, explain
from forge_core.live.fitted_set import FittedSet
from forge_core.models.base import VolatilityModel
from forge_core.models.torch_model import TorchModel, TorchState
from forge_core.nets.inputs import windows

if TYPE_CHECKING:
    from torch import Tensor

EXPLAINED_ROWS = 200
BACKGROUND_ROWS = 500  # the rows before the explained ones whose windows the background is drawn from
BACKGROUND_WINDOWS = 100
GRADIENT_SAMPLES = 200


@dataclass(frozen=True, eq=False)
class Importance:
    """A family's explanation of sampled rows, and how it was computed."""

    family: str
    method: str
    explanation: Explanation
    values: pd.DataFrame  # the explained rows' feature values (for a net, on its window's last day)

    @property
    def mean_abs(self) -> pd.Series:
        """Mean absolute contribution per feature (log-variance units), largest first."""
        return self.explanation.contributions.abs().mean().sort_values(ascending=False)

    @property
    def additivity_gap(self) -> float:
        """Largest :math:`|\\phi_0 + \\sum_j \\phi_j - g(x)|` over the rows (0 up to rounding when exact)."""
        e = self.explanation
        return float(np.max(np.abs(e.base + e.contributions.sum(axis=1).to_numpy() - e.output)))


def _net_importance(
    model: TorchModel, background: pd.DataFrame, rows: pd.DataFrame, explained_rows: int, seed: int
) -> Importance:
    import shap
    import torch

    from forge_core.explain.log_variance import LogVariance

    assert model.net is not None and model.scaler is not None
    columns = list(model.scaler.columns)
    _, base_x = windows(*model.scaler.transform(background), model.seq_len)
    positions, x = windows(*model.scaler.transform(rows), model.seq_len)
    positions, x = positions[-explained_rows:], x[-explained_rows:]
    if len(base_x) == 0 or len(x) == 0:
        raise ValueError(
            f"{model.family}: no complete {model.seq_len}-day window to explain or to compare with"
        )
    rng = np.random.default_rng(seed)
    base_x = base_x[rng.choice(len(base_x), min(BACKGROUND_WINDOWS, len(base_x)), replace=False)]
    device = next(model.net.parameters()).device
    wrapped = LogVariance(model.net).to(device).eval()

    def as_tensor(a: np.ndarray) -> Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(device)

    with torch.no_grad():
        base_out = wrapped(as_tensor(base_x)).cpu().numpy()[:, 0].astype(float)
        out = wrapped(as_tensor(x)).cpu().numpy()[:, 0].astype(float)
    torch.manual_seed(seed)
    if model.seq_len == 1:
        method = "deep"
        explainer = shap.DeepExplainer(wrapped, as_tensor(base_x))
        raw = explainer.shap_values(as_tensor(x), check_additivity=True)
    else:
        method = "gradient"
        explainer = shap.GradientExplainer(wrapped, as_tensor(base_x))
        raw = explainer.shap_values(as_tensor(x), nsamples=GRADIENT_SAMPLES, rseed=seed)
    phi = np.asarray(raw, dtype=float).reshape(len(x), model.seq_len, len(columns)).sum(axis=1)
    shift = 0.5 * float(model.state.bias_var) if isinstance(model.state, TorchState) else 0.0
    index = rows.index[positions]
    explanation = Explanation(
        pd.DataFrame(phi, index=index, columns=columns), float(base_out.mean()) + shift, out + shift
    )
    return Importance(model.family, method, explanation, rows.loc[index, columns])


def global_importance(
    model: VolatilityModel,
    background: pd.DataFrame,
    rows: pd.DataFrame,
    explained_rows: int = EXPLAINED_ROWS,
    seed: int = 0,
) -> Importance:
    """SHAP contributions of ``model``'s inputs to its log-variance forecasts of the last ``explained_rows`` of
    ``rows`` (one symbol's feature rows, oldest first; a net's window needs the rows before them, which ``rows``
    should hold), against ``background`` (e.g. its training rows). ValueError naming the family when it has
    no feature inputs to explain (a recursion)."""
    if isinstance(model, TorchModel):
        return _net_importance(model, background, rows, explained_rows, seed)
    columns = model.feature_columns()
    if columns is None or model.rows_needed() != 1:
        raise ValueError(
            f"{model.family}: a recursion over the whole history, with no feature inputs to explain"
        )
    chosen = rows.tail(explained_rows)
    explanation = explain(model, background, chosen, seed)
    return Importance(model.family, "permutation", explanation, chosen[columns])


def set_importance(
    fitted: FittedSet, histories: Mapping[str, pd.DataFrame], explained_rows: int = EXPLAINED_ROWS
) -> list[Importance]:
    """``global_importance`` of a family set's model of each symbol of ``histories`` (feature rows, oldest first) on
    its last ``explained_rows`` rows up to the set's ``as_of``, against the ``BACKGROUND_ROWS`` rows before them.
    ValueError naming the set when it is an ensemble or a recursion."""
    if fitted.is_ensemble:
        raise ValueError(
            f"{fitted.member} ({fitted.target}): an ensemble; its members are explained one by one"
        )
    out = []
    for symbol, history in histories.items():
        if symbol not in fitted.models:
            continue
        rows = history[history["date"] <= pd.Timestamp(fitted.as_of)]
        background = rows.iloc[:-explained_rows].tail(BACKGROUND_ROWS)
        try:
            out.append(global_importance(fitted.models[symbol], background, rows, explained_rows))
        except ValueError as error:
            raise ValueError(
                f"{fitted.member} ({fitted.target}, fitted {fitted.as_of}) {symbol}: {error}"
            ) from None
    return out


def pooled_importance(importances: list[Importance]) -> pd.DataFrame:
    """Per family and feature, the mean absolute contribution over every explained row of every symbol, with the
    family's method and largest additivity gap: ``family, method, feature, mean_abs, rank, additivity_gap``."""
    frames = []
    for family in sorted({i.family for i in importances}):
        mine = [i for i in importances if i.family == family]
        contributions = pd.concat([i.explanation.contributions for i in mine], ignore_index=True)
        mean_abs: pd.Series = contributions.abs().mean().sort_values(ascending=False)
        frames.append(
            pd.DataFrame(
                {
                    "family": family,
                    "method": mine[0].method,
                    "feature": mean_abs.index,
                    "mean_abs": mean_abs.to_numpy(),
                    "rank": np.arange(1, len(mean_abs) + 1),
                    "additivity_gap": max(i.additivity_gap for i in mine),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
