"""The DuckDB warehouse as a Dagster resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from forge_core.settings import warehouse_path
from forge_core.warehouse.connection import RetryPolicy, open_warehouse


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file. Connections are short: open per unit of work, never held while training.

    ``forge_jobs.resources.resources_from_env`` passes FORGE_WAREHOUSE to ``path`` as
    ``EnvVar("FORGE_WAREHOUSE")`` when set; empty means FORGE_HOME/warehouse.duckdb (``forge_core.settings``)."""

    path: str = Field(default="", description="DuckDB file; empty means FORGE_HOME/warehouse.duckdb.")
    open_timeout_s: float = Field(
        default=120.0, description="How long an open retries while another process writes."
    )

    @property
    def file(self) -> Path:
        """The DuckDB file. Outside a run (e.g. the demo reading ``defs.resources``) the resource is unresolved
        and ``path`` may still be an ``EnvVar``; its value is then read the way Dagster resolves it in a run."""
        path = (self.path.get_value() or "") if isinstance(self.path, EnvVar) else self.path
        return Path(path) if path else warehouse_path()

    @contextmanager
    def open(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection that retries with jittered backoff while the file is locked, closed on exit."""
        with open_warehouse(
            self.file, read_only=read_only, retry=RetryPolicy(timeout_s=self.open_timeout_s)
        ) as conn:
            yield conn
