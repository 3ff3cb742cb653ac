"""Optuna tuning on real features: QLIKE objective, resuming, pruning, no look-ahead, search spaces."""

from __future__ import annotations

import datetime as dt

import optuna
import pandas as pd
import pytest
from optuna.pruners import MedianPruner
from optuna.trial import TrialState

from forge_core.date_window import monthly_windows
from forge_core.evaluation import qlike
from forge_core.forecasting.walk_forward import TrainingScheme, forecast_window
from forge_core.models import ForecastTask, create_model
from forge_core.tuning import (
    default_params,
    default_storage_url,
    open_study,
    search_space,
    tunable_families,
    tune,
)
from tests.core.tuning.conftest import SPEC

WINDOWS = monthly_windows(dt.date(2019, 3, 1), dt.date(2019, 4, 30))  # March and April 2019
BEFORE = dt.date(2019, 5, 1)
SCHEME = TrainingScheme()


def default_qlike(panel: pd.DataFrame) -> float:
    """Mean QLIKE of ewma with its default decay over WINDOWS' days realised before BEFORE, computed apart."""
    realised = panel[panel["realised_on"] < pd.Timestamp(BEFORE)]
    frames = [forecast_window(panel, SPEC, "ewma", w, SCHEME).forecasts for w in WINDOWS]
    scored = pd.concat(frames).merge(realised[["symbol", "date", "target_value"]], on=["symbol", "date"])
    return float(qlike(scored["target_value"], scored["forecast"]).mean())


def run(panel: pd.DataFrame, study: str, n_trials: int, **kwargs):
    return tune(
        default_storage_url(),
        study,
        panel,
        "ewma",
        SPEC,
        WINDOWS,
        SCHEME,
        before=BEFORE,
        n_trials=n_trials,
        **kwargs,
    )


def test_tuning_starts_from_the_default_and_resumes(panel: pd.DataFrame) -> None:
    first = run(panel, "ewma-rv_5d", 4, seed=1)
    baseline = default_qlike(panel)
    assert first.n_trials == 4 and first.study_name == "ewma-rv_5d"
    assert first.best_value <= baseline + 1e-12
    assert 0.85 <= first.best_params["decay"] <= 0.99

    second = run(panel, "ewma-rv_5d", 3, seed=1)
    assert second.n_trials == 7 and second.best_value <= first.best_value

    study = open_study(default_storage_url(), "ewma-rv_5d", seed=0)
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(7))
    assert trials[0].params == {"decay": 0.94} and trials[0].value == pytest.approx(baseline, rel=1e-12)
    assert sum(t.params == {"decay": 0.94} for t in trials) == 1  # the default is not enqueued again
    assert len({t.params["decay"] for t in trials}) == 7  # a resumed study does not replay its samples
    assert isinstance(study.pruner, MedianPruner)
    for trial in trials:  # the running mean after each window; a pruned trial stops after the first
        steps = [0] if trial.state == TrialState.PRUNED else [0, 1]
        assert list(trial.intermediate_values) == steps
        assert trial.state == TrialState.PRUNED or trial.intermediate_values[1] == trial.value


def test_bad_trials_are_pruned(panel: pd.DataFrame) -> None:
    result = run(panel, "ewma-pruning", 14, seed=3)
    study = open_study(default_storage_url(), "ewma-pruning", seed=0)
    pruned = study.get_trials(states=(TrialState.PRUNED,))
    assert result.n_pruned == len(pruned) > 0
    assert all(list(t.intermediate_values) == [0] for t in pruned)


def test_tuning_never_sees_the_future(panel: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="must end on or before 2019-04-01"):
        tune(
            default_storage_url(),
            "leak",
            panel,
            "ewma",
            SPEC,
            WINDOWS,
            SCHEME,
            before=dt.date(2019, 4, 1),
            n_trials=1,
        )
    # Garbage in every feature dated at or after BEFORE and in every target realised at or after it: same result.
    future = panel["date"] >= pd.Timestamp(BEFORE)
    tampered = panel.copy()
    tampered.loc[future, "parkinson_d"] = 1e3
    tampered.loc[~(panel["realised_on"] < pd.Timestamp(BEFORE)), "target_value"] = 1e-12
    clean, dirty = run(panel, "clean", 2), run(tampered, "tampered", 2)
    assert (dirty.best_value, dirty.best_params) == (clean.best_value, clean.best_params)


def test_search_spaces() -> None:
    assert default_params("ewma", search_space("ewma")) == {"decay": 0.94}
    with pytest.raises(ValueError, match="no search space for model family 'har'"):
        search_space("har")
    assert tunable_families() == ("ewma", "mlp", "lstm", "gru", "tcn", "transformer")


@pytest.mark.parametrize("family", ["mlp", "lstm", "gru", "tcn", "transformer"])
def test_torch_spaces_fit_the_models(family: str) -> None:
    space = search_space(family)
    defaults = default_params(family, space)
    assert defaults is not None and defaults["hidden"] == 32 and defaults["lr"] == 1e-3
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):  # every sampled point builds a model (the params validate on construction)
        create_model(family, ForecastTask(5, "parkinson"), **space(study.ask()))
