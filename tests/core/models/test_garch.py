"""GARCH and GJR-GARCH recover simulated parameters and forecast what arch forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch import arch_model

from forge_core.models import ForecastTask, GarchModel, GjrGarchModel
from tests.core.models._sim import features_frame, forward_mean, simulate_garch


def fitted(model_cls: type[GarchModel], horizon: int, **sim: float) -> tuple[GarchModel, pd.DataFrame]:
    """Fit on 4000 simulated days with target = mean squared return over the next ``horizon`` days."""
    r, sigma2 = simulate_garch(4000, seed=11, **sim)
    frame = features_frame(r / 100, sigma2 / 100**2)
    target = forward_mean(frame, "sq_return_d", horizon)
    train = frame.iloc[:-horizon]  # the purge: the last targets are not realised yet
    return model_cls(ForecastTask(horizon, "sq_return")).fit(train, target.iloc[:-horizon]), frame


def test_garch_recovers_simulated_parameters() -> None:
    model, _ = fitted(GarchModel, 1, omega=0.05, alpha=0.08, beta=0.9, nu=6.0)
    s = model.state
    assert s.converged
    # tolerances ~3.5 sampling sd at 4000 days (sd over 30 seeds: 0.014, 0.010, 0.015, 0.47, 0.009)
    assert s.omega == pytest.approx(0.05, abs=0.05)
    assert s.alpha == pytest.approx(0.08, abs=0.035)
    assert s.beta == pytest.approx(0.9, abs=0.05)
    assert s.nu == pytest.approx(6.0, abs=1.7)
    assert s.alpha + s.beta == pytest.approx(0.98, abs=0.03)
    assert s.gamma == 0.0


def test_gjr_garch_recovers_leverage() -> None:
    model, _ = fitted(GjrGarchModel, 1, omega=0.03, alpha=0.03, gamma=0.12, beta=0.89, nu=7.0)
    s = model.state
    assert s.converged
    assert s.gamma == pytest.approx(0.12, abs=0.05)
    assert s.gamma > 0.05
    assert s.alpha == pytest.approx(0.03, abs=0.03)
    assert s.beta == pytest.approx(0.89, abs=0.03)


@pytest.mark.parametrize("model_cls", [GarchModel, GjrGarchModel])
@pytest.mark.parametrize("horizon", [1, 5, 22])
def test_forecast_is_arch_forecast_times_level_factor(model_cls: type[GarchModel], horizon: int) -> None:
    model, frame = fitted(model_cls, horizon, omega=0.03, alpha=0.05, gamma=0.08, beta=0.89, nu=6.0)
    s = model.state
    assert s.scale == pytest.approx(1.0, abs=0.1)  # target = squared return: GARCH's own level
    train = frame.iloc[: s.n_obs]
    names = ["omega", "alpha", *(["gamma"] if model_cls is GjrGarchModel else []), "beta", "nu"]
    returns = 100 * train["log_return"].to_numpy()
    res = arch_model(returns, mean="Zero", vol="GARCH", o=model.asymmetry, dist="t")
    fixed = res.fix([getattr(s, k) for k in names])
    expected = fixed.forecast(horizon=horizon, start=0, reindex=False).variance.to_numpy().mean(axis=1)
    np.testing.assert_allclose(model.predict(train) / s.scale, expected / 100**2, rtol=1e-10)
    if horizon == 1:  # one step ahead: the in-sample conditional variance of the next day
        np.testing.assert_allclose(expected[:-1], fixed.conditional_volatility[1:] ** 2, rtol=1e-10)


def test_warm_start_reaches_the_same_optimum() -> None:
    model, frame = fitted(GarchModel, 1, omega=0.05, alpha=0.08, beta=0.9, nu=6.0)
    target = forward_mean(frame, "sq_return_d", 1)
    later = frame.iloc[250:-1]
    cold = GarchModel(model.task).fit(later, target.iloc[250:-1])
    warm = GarchModel(model.task).fit(later, target.iloc[250:-1], warm_start=model.params())
    for name in ("omega", "alpha", "beta", "nu"):
        assert getattr(warm.state, name) == pytest.approx(getattr(cold.state, name), rel=1e-3)
    with pytest.raises(ValueError, match="lacks"):
        GarchModel(model.task).fit(later, target.iloc[250:-1], warm_start={"omega": 0.1})
