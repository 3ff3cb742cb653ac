"""MLflow tracking and model registry as a Dagster resource."""

from __future__ import annotations

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr

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

    _dagster_run_id: str = PrivateAttr(default="")

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._dagster_run_id = context.run.run_id if context.run is not None else ""

    def config(self) -> TrackingConfig:
        """The stores as a ``TrackingConfig`` for ``forge_core.tracking``, naming the run it serves (every MLflow
        run it logs is tagged with it). Outside a run (the launcher's recovery reading ``defs.resources``) a field
        may still be an ``EnvVar``: its value is read the way Dagster resolves it in a run."""
        local = default_tracking_config()
        tracking = _value(self.tracking_uri) or local.tracking_uri
        return TrackingConfig(
            tracking,
            _value(self.registry_uri) or tracking,
            _value(self.artifact_root) or local.artifact_root,
            self._dagster_run_id,
        )


def _value(field: str) -> str:
    return (field.get_value() or "") if isinstance(field, EnvVar) else field
