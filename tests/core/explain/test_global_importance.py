"""Global importance: exact explainers add up to the log forecast (log-HAR by permutation, the MLP by
DeepExplainer), expected gradients on a sequence net track it, the HAR features lead, and what has no feature inputs
(a recursion) is refused by name."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.explain.global_importance import global_importance, pooled_importance
from forge_core.features.reference import compute_daily_features
from forge_core.models import ForecastTask, create_model

TRAIN = 900
NET = {"epochs": 6, "hidden": 16, "seed": 3}


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    bars = SyntheticSource(1, seed=6, start=dt.date(2011, 1, 3), today=dt.date(2015, 12, 31)).load(
        dt.date(2011, 1, 3), dt.date(2015, 12, 31)
    )
    features = compute_daily_features(bars[bars["symbol"] == "SYN000"]).dropna(subset=["parkinson_m"])
    return features.reset_index(drop=True)


def fitted(family: str, rows: pd.DataFrame, **params: object):  # type: ignore[no-untyped-def]
    model = create_model(family, ForecastTask(1, "parkinson"), **params)
    model.fit(rows.iloc[:TRAIN], rows["parkinson_d"].shift(-1).iloc[:TRAIN])
    return model


@pytest.mark.parametrize(
    ("family", "params", "method"), [("log_har", {}, "permutation"), ("mlp", NET, "deep")]
)
def test_exact_explainers_add_up_to_the_log_forecast(
    rows: pd.DataFrame, family: str, params: dict[str, object], method: str
) -> None:
    model = fitted(family, rows, **params)
    importance = global_importance(model, rows.iloc[:TRAIN], rows, explained_rows=60)
    e = importance.explanation
    assert importance.method == method and len(e.output) == 60
    assert importance.additivity_gap < 1e-4
    np.testing.assert_allclose(e.output, np.log(model.predict(rows))[-60:], rtol=1e-5)
    assert list(importance.values.index) == list(rows.index[-60:])
    assert importance.mean_abs.index[0].startswith("log_parkinson")  # the HAR terms lead on a HAR-like market


def test_expected_gradients_track_a_sequence_nets_log_forecast(rows: pd.DataFrame) -> None:
    model = fitted("gru", rows, **NET, seq_len=10)
    importance = global_importance(model, rows.iloc[:TRAIN], rows, explained_rows=80)
    e = importance.explanation
    assert importance.method == "gradient"
    explained = e.base + e.contributions.sum(axis=1).to_numpy()
    assert np.corrcoef(explained, e.output)[0, 1] > 0.9
    assert importance.additivity_gap < 0.5 * (e.output.max() - e.output.min())
    table = pooled_importance([importance])
    assert list(table["rank"]) == list(range(1, len(table) + 1)) and table["mean_abs"].is_monotonic_decreasing


def test_a_recursion_has_no_inputs_to_explain(rows: pd.DataFrame) -> None:
    model = fitted("ewma", rows)
    with pytest.raises(ValueError, match="ewma: a recursion over the whole history"):
        global_importance(model, rows.iloc[:TRAIN], rows)
