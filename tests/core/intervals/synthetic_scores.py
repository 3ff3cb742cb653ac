"""Synthetic forecast / realisation pairs with known log-score distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd


def forecast_and_realised(
    n: int, seed: int, *, shift_at: int | None = None, bias: float = 0.8, scale: float = 2.0
) -> tuple[pd.Series, pd.Series]:
    """Forecasts :math:`f_t` (log-normal around 1e-4) and realisations :math:`y_t = f_t e^{s_t}` with iid
    :math:`s_t \\sim N(-0.1, 0.5^2)`; from day ``shift_at`` on, :math:`s_t \\sim N(-0.1 + bias, (0.5 \\cdot
    scale)^2)` (the model starts to under-forecast and its errors widen)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2001-01-02", periods=n, name="date")
    forecast = 1e-4 * np.exp(rng.normal(0.0, 0.6, n))
    scores = rng.normal(-0.1, 0.5, n)
    if shift_at is not None:
        scores[shift_at:] = -0.1 + bias + scale * (scores[shift_at:] + 0.1)
    return pd.Series(forecast, index=days), pd.Series(forecast * np.exp(scores), index=days)
