"""Where MLflow keeps runs, registered models and artifacts."""

from __future__ import annotations

from dataclasses import dataclass

from forge_core.settings import forge_home


@dataclass(frozen=True)
class TrackingConfig:
    """MLflow stores: runs (``tracking_uri``), the model registry (``registry_uri``) and the root under which
    each new experiment gets its artifact folder (``artifact_root``; empty: the tracking server's default).
    ``dagster_run_id``: the orchestrator run whose steps log with this config; every run it creates is tagged
    with it, so the recovery after a killed run finds what that run left (``tracking.recovery``)."""

    tracking_uri: str
    registry_uri: str
    artifact_root: str = ""
    dagster_run_id: str = ""


def default_tracking_config() -> TrackingConfig:
    """SQLite runs and registry in ``FORGE_HOME/mlflow/mlflow.db``, artifacts under ``FORGE_HOME/mlflow/artifacts``."""
    folder = forge_home() / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    return TrackingConfig(uri, uri, (folder / "artifacts").as_uri())
