"""QLIKE noise floor of a variance proxy: the expected loss of a perfect forecast scored against a noisy proxy.

A forecast that equals the true conditional variance still has positive QLIKE, because the proxy y it is
scored against is noisy.  With f = E[y], QLIKE(y, f) = y/f - log(y/f) - 1 has expectation -E[log(y/E[y])], a
Jensen gap that grows with the proxy's noise.  Reports show the *reducible* loss: model QLIKE - floor.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from forge_core.evaluation.losses import FloatArray, qlike

INTRADAY_STEPS = 390  # one-minute bars of a 6.5-hour session
_CHUNK_DAYS = 10_000  # days simulated at once, bounding memory at about 30 MiB of paths
# Yang-Zhang weight k = 0.34 / (1.34 + (n+1)/(n-1)) with n = 22, as in sql/features/daily_features.sql.
YANG_ZHANG_K = 0.34 / (1.34 + 23.0 / 21.0)
_LOG2 = math.log(2.0)


def _rogers_satchell(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    return high * (high - close) + low * (low - close)


# Daily proxies from log high, low and close relative to the open (log open = 0 = previous log close).
_PROXY_FORMULAS: dict[str, Callable[[FloatArray, FloatArray, FloatArray], FloatArray]] = {
    "parkinson": lambda high, low, close: (high - low) ** 2 / (4.0 * _LOG2),
    "garman_klass": lambda high, low, close: 0.5 * (high - low) ** 2 - (2.0 * _LOG2 - 1.0) * close**2,
    "rogers_satchell": _rogers_satchell,
    "yang_zhang": lambda high, low, close: (
        YANG_ZHANG_K * close**2 + (1.0 - YANG_ZHANG_K) * _rogers_satchell(high, low, close)
    ),
    "sq_return": lambda high, low, close: close**2,
}
NOISE_FLOOR_PROXIES: tuple[str, ...] = tuple(_PROXY_FORMULAS)


@dataclass(frozen=True)
class NoiseFloor:
    """E[QLIKE(proxy h-day mean, E[proxy])] for ``proxy`` at ``horizon``, how it was obtained, its MC error."""

    proxy: str
    horizon: int
    expected_qlike: float
    method: str
    standard_error: float


def gaussian_sq_return_floor(horizon: int) -> float:
    """Exact floor of the h-day mean of squared Gaussian returns: y = χ²_h / h, so

    E[QLIKE] = -E[log y] = log(h/2) - ψ(h/2);  h = 1 gives log 2 + γ ≈ 1.2704.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    return math.log(horizon / 2.0) - float(special.digamma(horizon / 2.0))


def _simulate_daily_proxy(proxy: str, n_days: int, steps: int, rng: np.random.Generator) -> FloatArray:
    formula = _PROXY_FORMULAS[proxy]
    out = np.empty(n_days)
    for start in range(0, n_days, _CHUNK_DAYS):
        rows = min(_CHUNK_DAYS, n_days - start)
        path = np.cumsum(rng.standard_normal((rows, steps)), axis=1) / math.sqrt(steps)
        high = np.maximum(path.max(axis=1), 0.0)
        low = np.minimum(path.min(axis=1), 0.0)
        out[start : start + rows] = formula(high, low, path[:, -1])
    return out


def qlike_noise_floor(
    proxy_name: str, horizon: int, *, n_days: int = 100_000, steps: int = INTRADAY_STEPS, seed: int = 0
) -> NoiseFloor:
    """Monte Carlo QLIKE floor of the h-day mean of a daily variance proxy.

    Model: each day the log price is a driftless Brownian motion with variance σ² = 1 per day, seen at
    ``steps`` equally spaced points; the open equals the previous close (no overnight variance), so
    ``sq_return`` is the open-to-close return and ``yang_zhang`` reduces to k r² + (1 - k) RS.  ``n_days``
    independent days make n_days // h non-overlapping h-day windows whose mean proxy y_w is scored by
    QLIKE against f = E[y], estimated by the sample mean: QLIKE depends on y/f only, so the floor holds for any
    constant σ², and a proxy biased up to scale is credited with its own expectation (its scale bias is not
    noise).  That matters for the range: the discrete high-low understates the continuous one by about
    2 · 0.5826 σ sqrt(1/steps) (Broadie-Glasserman-Kou), so range proxies read some 7% low at 390 steps.
    On a grid Rogers-Satchell is exactly 0 when the high and low fall on the open and close (about 0.3% of
    days at 390 steps); QLIKE cannot score such days, on real data or here, so those windows are excluded
    and f is the mean over the rest (``method`` says how many).
    """
    if proxy_name not in _PROXY_FORMULAS:
        raise ValueError(f"unknown proxy {proxy_name!r}; choose one of {NOISE_FLOOR_PROXIES}")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    n_windows = n_days // horizon
    if n_windows < 2:
        raise ValueError(f"n_days = {n_days} gives fewer than two {horizon}-day windows")
    daily = _simulate_daily_proxy(proxy_name, n_windows * horizon, steps, np.random.default_rng(seed))
    windows = daily.reshape(n_windows, horizon).mean(axis=1)
    scored = windows[windows > 0.0]
    losses = qlike(scored, np.full(scored.size, scored.mean()))
    method = f"monte carlo: {n_windows} independent {horizon}-day windows of {steps}-step Brownian days, seed {seed}"
    if scored.size < n_windows:
        method += f"; {n_windows - scored.size} windows with a zero proxy excluded"
    return NoiseFloor(
        proxy=proxy_name,
        horizon=horizon,
        expected_qlike=float(losses.mean()),
        method=method,
        standard_error=float(losses.std(ddof=1) / math.sqrt(losses.size)),
    )
