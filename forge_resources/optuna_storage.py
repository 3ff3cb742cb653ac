"""The Optuna study storage as a Dagster resource."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from forge_core.tuning import default_storage_url


class OptunaResource(ConfigurableResource):
    """The RDB storage of the tuning studies: SQLite under FORGE_HOME by default (read by ``forge_core.settings``
    when ``storage()`` fills the default).

    ``forge_jobs.resources.resources_from_env`` passes FORGE_OPTUNA_STORAGE to ``storage_url`` as
    ``EnvVar("FORGE_OPTUNA_STORAGE")`` when set: in production a Postgres URL such as
    ``postgresql+psycopg2://user:password@host:5432/optuna`` (its password stays out of the UI), so that several
    workers can optimise one study at once."""

    storage_url: str = Field(
        default="", description="Study storage URL; empty: sqlite FORGE_HOME/optuna/optuna.db."
    )

    def storage(self) -> str:
        """The storage URL to pass to ``forge_core.tuning.tune``."""
        return self.storage_url or default_storage_url()
