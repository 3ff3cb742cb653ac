"""A copied FORGE_HOME's MLflow store is re-rooted onto the copy when it is opened, MLflow's default experiment lies
under FORGE_HOME, and a fit logged again replaces the FAILED run an earlier attempt left."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from forge_core.tracking import (
    default_tracking_config,
    load_registered,
    register_fit,
    registered_name,
    tracking_client,
)
from tests.core.tracking.test_tracking import fitted, log


def locations(home: Path) -> list[str]:
    with closing(sqlite3.connect(home / "mlflow" / "mlflow.db")) as conn:
        return [
            value
            for query in (
                "SELECT artifact_location FROM experiments",
                "SELECT artifact_uri FROM runs",
                "SELECT source FROM model_versions",
            )
            for (value,) in conn.execute(query)
        ]


def test_a_copied_home_reads_and_writes_its_own_artifacts(
    panels: dict[str, pd.DataFrame], forge_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, history = fitted(panels["rv_1d"], "rv_1d", "ewma", "SYN000")
    original = default_tracking_config()
    record = log(original, model, "rv_1d", "SYN000")
    register_fit(original, record, registered_name("rv_1d", "ewma"))
    assert all(
        str(forge_home / "mlflow" / "artifacts") in value
        for value in locations(forge_home)
        if not value.startswith("runs:")
    )  # the default experiment too, not ./mlruns of the working folder

    copy = Path(shutil.copytree(forge_home, tmp_path / "copy"))
    before = (forge_home / "mlflow" / "mlflow.db").read_bytes()
    monkeypatch.setenv("FORGE_HOME", str(copy))
    moved = default_tracking_config()
    loaded = load_registered(moved, registered_name("rv_1d", "ewma"), 1)
    assert np.allclose(loaded.predict(history.tail(5)), model.predict(history.tail(5)))
    assert not any(str(forge_home) in value for value in locations(copy))
    assert (forge_home / "mlflow" / "mlflow.db").read_bytes() == before
    again = log(moved, model, "rv_1d", "SYN001")
    assert (
        tracking_client(moved).get_run(again.run_id).info.artifact_uri.startswith((copy / "mlflow").as_uri())
    )
    assert (copy / "mlflow" / "artifacts" / "rv_1d" / again.run_id).is_dir()


def test_a_fit_logged_again_replaces_the_failed_run_of_an_earlier_attempt(
    panels: dict[str, pd.DataFrame],
) -> None:
    model, _ = fitted(panels["rv_1d"], "rv_1d", "ewma", "SYN000")
    config = default_tracking_config()
    kept = log(config, model, "rv_1d", "SYN001")
    failed = log(config, model, "rv_1d", "SYN000")
    client: MlflowClient = tracking_client(config)
    client.set_terminated(failed.run_id, "FAILED")  # as the recovery marks a killed run's
    again = log(config, model, "rv_1d", "SYN000")
    assert client.get_run(failed.run_id).info.lifecycle_stage == "deleted"
    assert client.get_run(kept.run_id).info.lifecycle_stage == "active"
    assert client.get_run(again.run_id).info.status == "FINISHED"
