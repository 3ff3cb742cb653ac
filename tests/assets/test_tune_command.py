"""``make tune`` (``python -m forge_jobs.tune``): one run of ``tuning_job`` on FORGE_HOME's instance and warehouse
materialises the chosen families' hyperparameters assets, with the study in the tuning storage."""

from __future__ import annotations

import shutil
from pathlib import Path

import optuna
import pytest
from dagster import AssetKey

from forge_core.tuning import default_storage_url
from forge_jobs.instance import dagster_instance
from forge_jobs.tune import main


def test_the_tune_command_materialises_the_hyperparameters(
    market: Path, forge_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forge_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(market, forge_home / "warehouse.duckdb")
    argv = [
        "--family",
        "ewma",
        "--target",
        "rv_1d",
        "--trials",
        "2",
        "--windows",
        "2",
        "--tune-before",
        "2019-01-01",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "ewma_hyperparameters (rv_1d): study ewma-rv_1d-before-2019-01-01-" in out
    assert f"optuna-dashboard {default_storage_url()}" in out
    event = dagster_instance().get_latest_materialization_event(AssetKey("ewma_hyperparameters"))
    assert event is not None and event.dagster_event is not None
    assert event.dagster_event.partition == "rv_1d"
    (study,) = [
        s for s in optuna.get_all_study_summaries(default_storage_url()) if s.study_name.startswith("ewma")
    ]
    assert study.n_trials == 2
    assert main(["--family", "garch"]) == 2  # not tunable: said, nothing run
