"""Simulated daily_features rows for the model tests: returns, proxies, their HAR windows and logs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forge_core.features.daily import PROXIES, VARIANCE_FLOOR


def features_frame(returns: np.ndarray, proxy: np.ndarray) -> pd.DataFrame:
    """daily_features-like rows of one symbol: ``sq_return`` from ``returns``, every other proxy = ``proxy``."""
    n = len(returns)
    frame = pd.DataFrame({"symbol": "SIM", "date": pd.bdate_range("2000-01-03", periods=n)})
    frame["log_return"] = returns
    for name in PROXIES:
        daily = pd.Series(returns**2 if name == "sq_return" else proxy)
        for suffix, window in (("d", 1), ("w", 5), ("m", 22)):
            level = daily.rolling(window, min_periods=window).mean()
            frame[f"{name}_{suffix}"] = level
            frame[f"log_{name}_{suffix}"] = np.log(np.maximum(level, VARIANCE_FLOOR))
    neg = pd.Series(np.minimum(returns, 0.0))
    frame["neg_return_d"], frame["neg_return_w"], frame["neg_return_m"] = (
        neg,
        neg.rolling(5).mean(),
        neg.rolling(22).mean(),
    )
    frame["volume_z"] = 0.0
    frame["vix_level"] = np.nan
    frame["vix_change"] = np.nan
    return frame


def forward_mean(frame: pd.DataFrame, column: str, horizon: int) -> pd.Series:
    """Target y_t = mean of ``column`` over rows t+1..t+h (NaN where the window runs past the end)."""
    return frame[column].rolling(horizon).mean().shift(-horizon)


def simulate_garch(
    n: int, omega: float, alpha: float, beta: float, nu: float, gamma: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """GJR-GARCH(1,1)-t percent returns and their conditional variances sigma2_t (used for r_t)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_t(nu, size=n) * np.sqrt((nu - 2) / nu)
    r, sigma2 = np.empty(n), np.empty(n)
    s2 = omega / (1 - alpha - gamma / 2 - beta)
    for t in range(n):
        sigma2[t] = s2
        r[t] = np.sqrt(s2) * z[t]
        s2 = omega + (alpha + gamma * (r[t] < 0)) * r[t] ** 2 + beta * s2
    return r, sigma2


def simulated_features(n: int = 1500, seed: int = 1) -> pd.DataFrame:
    """GJR-GARCH log returns and a Parkinson-like range proxy = sigma2 * Gamma(4, 1/4) noise."""
    r, sigma2 = simulate_garch(n, omega=0.03, alpha=0.05, gamma=0.08, beta=0.89, nu=6.0, seed=seed)
    noise = np.random.default_rng(seed + 1).gamma(4.0, 0.25, size=n)
    return features_frame(r / 100, sigma2 / 100**2 * noise)
