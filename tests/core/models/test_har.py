"""HAR and log-HAR recover the coefficients of a simulated HAR process."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from forge_core.models import ForecastTask, HarModel, LogHarModel
from tests.core.models._sim import features_frame, forward_mean

BETA = np.array([0.35, 0.30, 0.25])  # b_d, b_w, b_m: persistence 0.9
N = 20_000


def simulate_har(n: int, const: float, log: bool, seed: int) -> np.ndarray:
    """x_{t+1} = mu_t * Gamma(4, 1/4) (levels) or exp(mu_t + 0.8 z) (logs), mu_t the HAR of x_t, x^(w)_t, x^(m)_t
    in levels or in logs of the day and of the 5- and 22-day means."""
    rng = np.random.default_rng(seed)
    x = np.full(n + 22, const / (1 - BETA.sum()))
    if log:
        x = np.exp(x)
    shocks = rng.standard_normal(n + 22) if log else rng.gamma(4.0, 0.25, size=n + 22)
    for t in range(22, n + 22):
        terms = np.array([x[t - 1], x[t - 5 : t].mean(), x[t - 22 : t].mean()])
        if log:
            x[t] = np.exp(const + BETA @ np.log(terms) + 0.8 * shocks[t])
        else:
            x[t] = (const + BETA @ terms) * shocks[t]
    return x[22:]


def fit(model_cls: type, proxy: np.ndarray, horizon: int) -> tuple[HarModel, pd.DataFrame, pd.Series]:
    frame = features_frame(np.zeros(len(proxy)), proxy)
    target = forward_mean(frame, "parkinson_d", horizon)
    return model_cls(ForecastTask(horizon, "parkinson")).fit(frame, target), frame, target


def test_har_recovers_simulated_coefficients() -> None:
    model, frame, _ = fit(HarModel, simulate_har(N, 1e-5, log=False, seed=3), horizon=1)
    s = model.state
    assert s.const == pytest.approx(1e-5, rel=0.35)
    np.testing.assert_allclose([s.beta_d, s.beta_w, s.beta_m], BETA, atol=0.06)
    assert s.n_obs == N - 22  # 21 rows without a 22-day mean, 1 without a target
    assert np.nanmin(model.predict(frame)) >= s.floor > 0


def test_har_floors_negative_forecasts_at_the_smallest_positive_target() -> None:
    model, frame, target = fit(HarModel, simulate_har(2000, 1e-5, log=False, seed=4), horizon=5)
    assert model.state.floor == target[target > 0].min()
    model.state = dataclasses.replace(model.state, const=-1.0)  # every OLS forecast now negative
    forecast = model.predict(frame)
    assert np.all(forecast[21:] == model.state.floor)


def test_log_har_recovers_coefficients_and_is_mean_unbiased() -> None:
    model, frame, target = fit(LogHarModel, simulate_har(N, -0.92, log=True, seed=5), horizon=1)
    s = model.state
    assert s.const == pytest.approx(-0.92, abs=0.12)
    np.testing.assert_allclose([s.beta_d, s.beta_w, s.beta_m], BETA, atol=0.05)
    assert s.resid_var == pytest.approx(0.64, rel=0.03)
    forecast = model.predict(frame)
    ok = np.isfinite(forecast) & target.notna().to_numpy()
    assert forecast[ok].mean() == pytest.approx(target[ok].mean(), rel=0.03)
