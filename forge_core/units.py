"""The platform's units: a year of trading sessions, and a daily variance read as annualised volatility."""

from __future__ import annotations

import numpy as np
import pandas as pd

TRADING_DAYS_PER_YEAR = 252  # annualising daily variances and returns, the platform's one year of sessions


def annualised_vol(variance: pd.Series | np.ndarray) -> np.ndarray:
    """Daily variance as annualised volatility in percent: :math:`100 \\sqrt{252\\, v}`."""
    vol: np.ndarray = 100 * np.sqrt(TRADING_DAYS_PER_YEAR * np.asarray(variance, dtype=float))
    return vol
