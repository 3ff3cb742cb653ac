"""MLflow tracking and model registry as a Dagster resource."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from forge_core.tracking import TrackingConfig, default_tracking_config


class MlflowResource(ConfigurableResource):
    """Where fits are logged and models registered. Empty fields mean the local SQLite store under FORGE_HOME
    (read by ``forge_core.settings`` when ``config()`` fills the defaults).

    ``forge_jobs.resources.resources_from_env`` passes FORGE_MLFLOW_TRACKING_URI, FORGE_MLFLOW_REGISTRY_URI and
    FORGE_MLFLOW_ARTIFACT_ROOT, each as ``EnvVar`` when set, to ``tracking_uri``, ``registry_uri`` and
    ``artifact_root``. In production the URIs name a database, e.g.
    ``postgresql+psycopg2://user:password@host:5432/mlflow`` (an ``EnvVar`` keeps the password out of the UI),
    and ``artifact_root`` storage every worker reaches."""

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
