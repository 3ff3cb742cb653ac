"""The registry, the task and the checks the base class makes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forge_core.models import (
    MODEL_REGISTRY,
    EwmaModel,
    ForecastTask,
    GarchModel,
    HarModel,
    create_model,
    families,
    load_model,
)
from forge_core.quantiles import quantile_label
from tests.core.models._sim import forward_mean, simulated_features

TASK = ForecastTask(1, "parkinson")


def test_registry_creates_every_family() -> None:
    assert set(MODEL_REGISTRY) == set(families("baselines")) | set(families("deep_models"))
    assert set(families("baselines")) == {"random_walk", "ewma", "har", "log_har", "garch", "gjr_garch"}
    assert set(families("deep_models")) == {"mlp", "lstm", "gru", "tcn", "transformer"}
    for family, cls in MODEL_REGISTRY.items():
        model = create_model(family, TASK)
        assert type(model) is cls
        assert model.family == family
        assert model.task == TASK
        params = model.params()
        assert (params["family"], params["horizon"], params["proxy"]) == (family, 1, "parkinson")


def test_registry_errors_list_the_known_families_and_params() -> None:
    with pytest.raises(ValueError, match=r"unknown model family 'prophet'; known: \['ewma', 'garch'"):
        create_model("prophet", TASK)
    with pytest.raises(ValueError, match=r"unknown params \['lam'\]; accepted: \['decay'\]"):
        create_model("ewma", TASK, lam=0.9)
    assert create_model("ewma", TASK, decay=0.97).params()["decay"] == 0.97


def test_task_is_validated() -> None:
    with pytest.raises(ValueError, match="horizon"):
        ForecastTask(0, "parkinson")
    with pytest.raises(ValueError, match="proxy"):
        ForecastTask(5, "range")
    assert ForecastTask(5, "yang_zhang").daily_column == "yang_zhang_d"


def test_quantile_labels() -> None:
    assert [quantile_label(p) for p in (0.05, 0.1, 0.5, 0.9, 0.95, 0.975)] == [
        "q05",
        "q10",
        "q50",
        "q90",
        "q95",
        "q97.5",
    ]


def test_base_checks(tmp_path: Path) -> None:
    frame = simulated_features(300, seed=2)
    target = forward_mean(frame, "parkinson_d", 1)
    model = HarModel(TASK)
    with pytest.raises(RuntimeError, match="fit"):
        model.predict(frame)
    with pytest.raises(RuntimeError, match="fit"):
        model.save(tmp_path / "m.json")
    with pytest.raises(ValueError, match="same index"):
        model.fit(frame, target.reset_index(drop=True).iloc[1:])
    with pytest.raises(ValueError, match="ascending"):
        model.fit(frame.iloc[::-1], target.iloc[::-1])
    model.fit(frame, target)
    with pytest.raises(ValueError, match="strictly increasing"):
        model.predict_quantiles(frame, levels=(0.5, 0.1))
    path = tmp_path / "har.json"
    model.save(path)
    with pytest.raises(ValueError, match="not 'ewma'"):
        EwmaModel.load(path)
    assert isinstance(load_model(path), HarModel)
    assert np.isnan(model.predict(frame)[:21]).all()


def test_garch_reports_convergence_as_a_param() -> None:
    frame = simulated_features(600, seed=3)
    model = GarchModel(TASK).fit(frame, forward_mean(frame, "parkinson_d", 1))
    assert isinstance(model.params()["converged"], bool)
    assert model.params()["scale"] == pytest.approx(1.0, abs=0.3)  # proxy ~ sigma2 * mean-1 noise
    assert isinstance(pd.Series(model.params()).to_json(), str)
