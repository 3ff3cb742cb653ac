"""Synthetic member panels: a persistent log-variance process, noisy realised targets and members of known
quality."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forge_core.ensembles import MemberPanel

START = "2010-01-04"


def make_panel(
    forecasts: np.ndarray, realised: np.ndarray, horizon: int = 1, context: np.ndarray | None = None
) -> MemberPanel:
    """A panel on business days from 2010-01-04, members ``m0``, ``m1``, .. and context ``c0``, ``c1``, .."""
    dates = pd.bdate_range(START, periods=len(realised))
    frame = pd.DataFrame(forecasts, index=dates, columns=[f"m{k}" for k in range(forecasts.shape[1])])
    features = None
    if context is not None:
        features = pd.DataFrame(context, index=dates, columns=[f"c{k}" for k in range(context.shape[1])])
    return MemberPanel(frame, pd.Series(realised, index=dates), horizon, features)


def true_variance(rng: np.random.Generator, n_days: int, persistence: float = 0.98) -> np.ndarray:
    """A log-AR(1) daily variance around 1e-4 with innovations of sd 0.15."""
    shocks = rng.normal(0.0, 0.15, n_days)
    x = np.zeros(n_days)
    for t in range(1, n_days):
        x[t] = persistence * x[t - 1] + shocks[t]
    return 1e-4 * np.exp(x)


def noisy(rng: np.random.Generator, v: np.ndarray) -> np.ndarray:
    """A realised proxy of ``v``: v times a mean-one gamma draw (shape 4)."""
    return v * rng.gamma(4.0, 0.25, len(v))


def synthetic_panel(
    n_days: int = 600,
    n_members: int = 4,
    horizon: int = 1,
    seed: int = 0,
    context: bool = False,
    spread: float = 1.0,
) -> MemberPanel:
    """Members f_k = v * exp(b_k + s_k e) of growing bias b_k and noise s_k (the more so, the larger
    ``spread``); realised NaN on the last ``horizon`` days (not yet realised); optional context: two random
    features."""
    rng = np.random.default_rng(seed)
    v = true_variance(rng, n_days)
    quality = np.linspace(0.0, spread, n_members)
    forecasts = v[:, None] * np.exp(
        0.3 * quality + (0.1 + 0.5 * quality) * rng.normal(size=(n_days, n_members))
    )
    realised = noisy(rng, v)
    realised[n_days - horizon :] = np.nan
    return make_panel(forecasts, realised, horizon, rng.normal(size=(n_days, 2)) if context else None)


def switching_panel(n_days: int, switch: int, seed: int = 0) -> MemberPanel:
    """Two members: m0 accurate and m1 poor before day ``switch``, the other way round from it."""
    rng = np.random.default_rng(seed)
    v = true_variance(rng, n_days)
    good = v * np.exp(0.05 * rng.normal(size=n_days))
    poor = v * np.exp(0.4 + 0.6 * rng.normal(size=n_days))
    before = np.arange(n_days) < switch
    forecasts = np.column_stack([np.where(before, good, poor), np.where(before, poor, good)])
    return make_panel(forecasts, noisy(rng, v))


def contextual_panel(n_days: int, seed: int = 0) -> MemberPanel:
    """Two members and a context feature c0: m0 is accurate where c0 > 0, m1 where c0 <= 0 (c0 random each
    day)."""
    rng = np.random.default_rng(seed)
    v = true_variance(rng, n_days)
    c = rng.normal(size=n_days)
    good = v * np.exp(0.05 * rng.normal(size=n_days))
    poor = v * np.exp(0.5 * rng.normal(size=n_days) + 0.3)
    forecasts = np.column_stack([np.where(c > 0, good, poor), np.where(c > 0, poor, good)])
    return make_panel(forecasts, noisy(rng, v), 1, c[:, None])


# Small settings under which every combiner fits early and quickly on a few hundred days.
FAST_PARAMS: dict[str, dict[str, int | str]] = {
    "equal": {},
    "equal_log": {},
    "inverse_qlike": {"min_history": 40},
    "stacking": {"min_history": 40},
    "online": {"min_history": 40},
    "regime": {"min_history": 40, "min_regime_history": 10},
    "markov_regime": {"min_history": 40, "min_regime_history": 10, "regime_column": "c0"},
    "best_recent": {"min_history": 40, "reps": 50},
    "meta": {"min_history": 40, "steps": 60, "refit_steps": 20},
}
