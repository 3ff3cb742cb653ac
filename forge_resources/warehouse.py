"""The DuckDB warehouse as a Dagster resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from forge_core.settings import warehouse_path
from forge_core.warehouse.connection import RetryPolicy, open_warehouse


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file. Connections are short: open per unit of work, never held while training."""

    path: str = Field(default="", description="DuckDB file; empty means FORGE_HOME/warehouse.duckdb.")
    open_timeout_s: float = Field(
        default=120.0, description="How long an open retries while another process writes."
    )

    @property
    def file(self) -> Path:
        return Path(self.path) if self.path else warehouse_path()

    @contextmanager
    def open(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection that retries with jittered backoff while the file is locked, closed on exit."""
        with open_warehouse(
            self.file, read_only=read_only, retry=RetryPolicy(timeout_s=self.open_timeout_s)
        ) as conn:
            yield conn
