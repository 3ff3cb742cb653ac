"""Why a forecast says what it says: SHAP contributions of a model's inputs to its log-variance forecast.

For a model whose forecast of a day reads that day's feature row only (``rows_needed() == 1``, with a fixed
``feature_columns()``: HAR, log-HAR), the explained output is :math:`g(x) = \\log \\hat v(x)` and the contributions
:math:`\\phi_j(x)` are Shapley values against a background sample :math:`B` (interventional: a feature left out takes
its values from :math:`B`), computed by shap's permutation explainer, which is exactly additive:

.. math:: g(x) = \\phi_0 + \\sum_j \\phi_j(x), \\qquad \\phi_0 = \\frac{1}{|B|} \\sum_{b \\in B} g(b).

For log-HAR, :math:`g` is linear, so :math:`\\phi_j(x) = \\beta_j (x_j - \\bar x_j)` exactly. Recursions (GARCH,
EWMA) and sequence nets depend on the whole history, not on one row, and are not explained here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from forge_core.models.base import VolatilityModel

FloatArray = NDArray[np.float64]
BACKGROUND_ROWS = 100


@dataclass(frozen=True, eq=False)
class Explanation:
    """Contributions (rows x features) to each row's log-variance forecast, the base value and the output, so that
    ``base + contributions.sum(axis=1) == output``."""

    contributions: pd.DataFrame
    base: float
    output: FloatArray

    def top(self, k: int = 3) -> pd.DataFrame:
        """Per row, the ``k`` features with the largest absolute contribution: ``row, rank, feature, value,
        contribution`` (signed, in log-variance units)."""
        frames = []
        for index, row in self.contributions.iterrows():
            order = row.abs().sort_values(ascending=False).index[:k]
            frame = pd.DataFrame({"feature": order, "contribution": row[order].to_numpy()})
            frames.append(frame.assign(row=index, rank=np.arange(1, len(order) + 1)))
        return pd.concat(frames, ignore_index=True)[["row", "rank", "feature", "contribution"]]


def explain(
    model: VolatilityModel, background: pd.DataFrame, rows: pd.DataFrame, seed: int = 0
) -> Explanation:
    """Shapley contributions of ``model``'s feature columns to its log-variance forecasts of ``rows``, against up
    to ``BACKGROUND_ROWS`` rows of ``background`` (e.g. its training rows). ValueError naming the family when its
    forecast of a row is not a function of that row alone."""
    import shap

    columns = model.feature_columns()
    if columns is None or model.rows_needed() != 1:
        raise ValueError(
            f"{model.family}: its forecast of a day reads more than that day's row; only one-row models "
            "(HAR, log-HAR) are explained"
        )
    base_rows = background[columns].dropna()
    if base_rows.empty:
        raise ValueError(f"{model.family}: no complete background row of {columns}")
    sample = base_rows.sample(min(BACKGROUND_ROWS, len(base_rows)), random_state=seed)

    def log_forecast(x: FloatArray) -> FloatArray:
        values: FloatArray = np.log(model.predict(pd.DataFrame(x, columns=columns)))
        return values

    explainer = shap.PermutationExplainer(
        log_forecast, shap.maskers.Independent(sample.to_numpy(), len(sample))
    )
    data = rows[columns].to_numpy(dtype=float)
    result = explainer(data, max_evals=2 * len(columns) + 1, silent=True)
    contributions = pd.DataFrame(np.asarray(result.values), index=rows.index, columns=columns)
    return Explanation(contributions, float(np.mean(result.base_values)), log_forecast(data))
