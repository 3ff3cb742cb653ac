"""SHAP explanations: contributions plus the base value are the log forecast, log-HAR's are its coefficients times
the deviations from the background mean, the top drivers are ranked, and a recursion is refused by name."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.explain import explain
from forge_core.features.reference import compute_daily_features
from forge_core.models import ForecastTask, create_model


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    bars = SyntheticSource(1, seed=6, start=dt.date(2012, 1, 2), today=dt.date(2016, 12, 30)).load(
        dt.date(2012, 1, 2), dt.date(2016, 12, 30)
    )
    features = compute_daily_features(bars[bars["symbol"] == "SYN000"]).dropna(subset=["parkinson_m"])
    return features.reset_index(drop=True)


@pytest.mark.parametrize("family", ["har", "log_har"])
def test_contributions_add_up_to_the_log_forecast(rows: pd.DataFrame, family: str) -> None:
    model = create_model(family, ForecastTask(5, "parkinson"))
    target = rows["parkinson_d"].rolling(5).mean().shift(-5)
    model.fit(rows.iloc[:800], target.iloc[:800])
    explained = explain(model, rows.iloc[:800], rows.iloc[800:820])
    total = explained.base + explained.contributions.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, explained.output, atol=1e-9)
    np.testing.assert_allclose(explained.output, np.log(model.predict(rows.iloc[800:820])), rtol=1e-12)
    top = explained.top(2)
    assert len(top) == 40 and list(top["rank"].unique()) == [1, 2]
    assert (top.groupby("row")["contribution"].apply(lambda c: abs(c.iloc[0]) >= abs(c.iloc[1]))).all()


def test_log_har_contributions_are_its_coefficients_times_the_deviations(rows: pd.DataFrame) -> None:
    model = create_model("log_har", ForecastTask(1, "parkinson"))
    model.fit(rows.iloc[:800], rows["parkinson_d"].shift(-1).iloc[:800])
    background = rows.iloc[:100]  # fewer rows than the sample size: the whole background is used
    explained = explain(model, background, rows.iloc[900:905])
    columns = model.feature_columns()
    beta = np.array([model.state.beta_d, model.state.beta_w, model.state.beta_m])
    expected = (rows.iloc[900:905][columns].to_numpy() - background[columns].mean().to_numpy()) * beta
    np.testing.assert_allclose(explained.contributions.to_numpy(), expected, atol=1e-9)


def test_a_recursion_is_refused(rows: pd.DataFrame) -> None:
    model = create_model("ewma", ForecastTask(1, "parkinson"))
    model.fit(rows.iloc[:800], rows["parkinson_d"].shift(-1).iloc[:800])
    with pytest.raises(ValueError, match="ewma: its forecast of a day reads more than that day's row"):
        explain(model, rows.iloc[:800], rows.iloc[800:810])
