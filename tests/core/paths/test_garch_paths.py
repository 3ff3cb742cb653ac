"""GARCH paths: the mean simulated variance matches arch's own analytic multi-step forecast of the same fitted
model, the fan is ordered, and a simulation is reproducible from its seed."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from arch import arch_model

from forge_core.data.synthetic import SyntheticSource
from forge_core.features.reference import compute_daily_features
from forge_core.models import ForecastTask, create_model
from forge_core.models.garch import PERCENT, GarchModel
from forge_core.paths import garch_mean_variance, garch_paths
from forge_core.quantiles import QUANTILE_COLUMNS


@pytest.fixture(scope="module")
def fitted() -> tuple[GarchModel, pd.DataFrame]:
    bars = SyntheticSource(1, seed=5, start=dt.date(2010, 1, 4), today=dt.date(2017, 12, 29)).load(
        dt.date(2010, 1, 4), dt.date(2017, 12, 29)
    )
    rows = compute_daily_features(bars[bars["symbol"] == "SYN000"]).dropna(subset=["log_return"])
    rows = rows.reset_index(drop=True)
    model = create_model("gjr_garch", ForecastTask(1, "parkinson"))
    assert isinstance(model, GarchModel)
    model.fit(rows, rows["parkinson_d"].shift(-1))
    return model, rows


def test_the_mean_simulated_variance_is_archs_analytic_forecast(
    fitted: tuple[GarchModel, pd.DataFrame],
) -> None:
    model, rows = fitted
    state = model.state
    sigma2_next = float(model.one_step_variance(rows)[-1])
    r = PERCENT * rows["log_return"].to_numpy()
    reference = arch_model(r, mean="Zero", vol="GARCH", p=1, o=1, q=1, dist="t", rescale=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = pd.Series([state.omega, state.alpha, state.gamma, state.beta, state.nu],
                           index=["omega", "alpha[1]", "gamma[1]", "beta[1]", "nu"])  # fmt: skip
        arch_forecast = reference.fix(params).forecast(horizon=22, reindex=False).variance.to_numpy()[0]
    analytic = garch_mean_variance(state, sigma2_next, 22)
    np.testing.assert_allclose(analytic, arch_forecast / PERCENT**2, rtol=1e-6)
    simulated = garch_paths(state, sigma2_next, paths=200_000, seed=1).mean_variance
    np.testing.assert_allclose(simulated, analytic, rtol=0.02)


def test_the_fan_is_ordered_and_the_simulation_reproducible(fitted: tuple[GarchModel, pd.DataFrame]) -> None:
    model, rows = fitted
    sigma2_next = float(model.one_step_variance(rows)[-1])
    paths = garch_paths(model.state, sigma2_next, days=22, paths=10_000, seed=3)
    assert paths.returns.shape == paths.variance.shape == (10_000, 22)
    fan = paths.fan()
    quantiles = fan[QUANTILE_COLUMNS].to_numpy()
    assert (np.diff(quantiles, axis=1) >= 0).all() and len(fan) == 44
    spread = fan[fan["quantity"] == "cumulative_return"].eval("q95 - q05").to_numpy()
    assert (np.diff(spread) > 0).all()  # the cumulative return fans out
    again = garch_paths(model.state, sigma2_next, days=22, paths=10_000, seed=3)
    np.testing.assert_array_equal(paths.returns, again.returns)
    with pytest.raises(ValueError, match="need sigma2_next > 0"):
        garch_paths(model.state, 0.0)
