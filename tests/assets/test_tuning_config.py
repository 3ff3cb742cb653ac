"""Tuning settings: studies are named by their objective, tuning trains like the forecasts, whole months only."""

from __future__ import annotations

import datetime as dt

from forge_assets.hyperparameters import TuningConfig, objective_digest
from forge_assets.partitions import walk_forward_windows
from forge_core.forecasting.walk_forward import TrainingScheme
from forge_core.targets import TargetSpec

SPEC = TargetSpec("rv_5d", 5)


def test_a_study_resumes_only_for_the_same_objective() -> None:
    windows = TuningConfig(tune_before="2019-01-01", windows=12).tuning_windows()
    same = objective_digest(SPEC, windows, TrainingScheme())
    assert same == objective_digest(SPEC, list(windows), TrainingScheme())
    assert same != objective_digest(SPEC, windows[-1:], TrainingScheme())
    assert same != objective_digest(SPEC, windows, TrainingScheme("rolling", rolling_years=5))
    assert same != objective_digest(TargetSpec("rv_5d", 5, "garman_klass"), windows, TrainingScheme())


def test_tuning_windows_are_the_whole_months_before_the_cut_off_and_train_like_the_forecasts() -> None:
    config = TuningConfig(
        tune_before="2019-01-15", windows=3, scheme="rolling", rolling_years=4, min_train_rows=300
    )
    windows = config.tuning_windows()
    assert [(w.start, w.end) for w in windows] == [
        (dt.date(2018, 10, 1), dt.date(2018, 11, 1)),
        (dt.date(2018, 11, 1), dt.date(2018, 12, 1)),
        (dt.date(2018, 12, 1), dt.date(2019, 1, 1)),
    ]
    assert config.training_scheme() == TrainingScheme("rolling", 4.0, 300)


def test_through_today_the_current_month_is_the_last_walk_forward_window() -> None:
    """FORGE_END_DATE=today (the tests' span): the month in progress is a window of the days so far."""
    last = dt.date.fromisoformat(walk_forward_windows.get_last_partition_key())
    assert last == dt.datetime.now(dt.UTC).date().replace(day=1)  # the partitions' timezone
