"""The MLflow and Optuna resources: local defaults under FORGE_HOME, overrides from configuration or env."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import EnvVar, build_resources

from forge_core.tracking import TrackingConfig
from forge_resources.mlflow_tracking import MlflowResource
from forge_resources.optuna_storage import OptunaResource

PG = "postgresql+psycopg2://postgres@db.example:5432/mlflow"


def test_defaults_live_under_forge_home(forge_home: Path) -> None:
    local = f"sqlite:///{forge_home}/mlflow/mlflow.db"
    assert MlflowResource().config() == TrackingConfig(
        local, local, (forge_home / "mlflow/artifacts").as_uri()
    )
    assert OptunaResource().storage() == f"sqlite:///{forge_home}/optuna/optuna.db"


def test_production_uris_from_the_environment(forge_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORGE_MLFLOW_TRACKING_URI", PG)
    monkeypatch.setenv("FORGE_OPTUNA_STORAGE", PG.replace("mlflow", "optuna"))
    resources = {
        "mlflow": MlflowResource(tracking_uri=EnvVar("FORGE_MLFLOW_TRACKING_URI")),
        "optuna": OptunaResource(storage_url=EnvVar("FORGE_OPTUNA_STORAGE")),
    }
    with build_resources(resources) as built:
        config = built.mlflow.config()
        assert (config.tracking_uri, config.registry_uri) == (PG, PG)
        assert config.artifact_root == (forge_home / "mlflow/artifacts").as_uri()
        assert built.optuna.storage() == PG.replace("mlflow", "optuna")
