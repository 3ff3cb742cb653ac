"""MLflow tracking and model registry as a Dagster resource."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from forge_core.tracking import TrackingConfig, default_tracking_config


class MlflowResource(ConfigurableResource):
    """Where fits are logged and models registered. Empty fields mean the local SQLite store under FORGE_HOME;
    in production point both at a database, e.g. ``EnvVar("FORGE_MLFLOW_URI")`` holding
    ``postgresql+psycopg2://user@host:5432/mlflow``, and ``artifact_root`` at storage every worker reaches."""

    tracking_uri: str = Field(default="", description="Runs store; empty: sqlite under FORGE_HOME/mlflow.")
    registry_uri: str = Field(default="", description="Model registry store; empty: the tracking URI.")
    artifact_root: str = Field(
        default="",
        description="Root of new experiments' artifact folders; empty: FORGE_HOME/mlflow/artifacts.",
    )

    def config(self) -> TrackingConfig:
        """The stores as a ``TrackingConfig`` for ``forge_core.tracking``."""
        local = default_tracking_config()
        tracking = self.tracking_uri or local.tracking_uri
        return TrackingConfig(
            tracking, self.registry_uri or tracking, self.artifact_root or local.artifact_root
        )
