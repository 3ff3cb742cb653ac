"""Forecasts paired with the returns that follow them: never across a gap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forge_core.risk.risk_report import paired_returns


def test_the_return_after_a_forecast_is_the_sum_of_the_next_days_and_missing_across_a_gap() -> None:
    dates = pd.bdate_range("2020-01-01", periods=8)
    returns = pd.DataFrame(
        {"symbol": "A", "date": dates, "log_return": [0.01, 0.02, 0.03, np.nan, 0.05, 0.06, 0.07, 0.08]}
    )
    forecasts = pd.DataFrame({"symbol": "A", "date": dates, "model": "m", "forecast": 1e-4})

    one = paired_returns(forecasts, returns, horizon=1)["next_return"].to_numpy()
    np.testing.assert_allclose(one, [0.02, 0.03, np.nan, 0.05, 0.06, 0.07, 0.08, np.nan])
    two = paired_returns(forecasts, returns, horizon=2)["next_return"].to_numpy()
    np.testing.assert_allclose(two, [0.05, np.nan, np.nan, 0.11, 0.13, 0.15, np.nan, np.nan])
