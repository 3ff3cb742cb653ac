"""The DuckDB warehouse as a Dagster resource.

A writable open of a warehouse file that does not exist is refused, instead of starting an empty warehouse, when
its reader snapshot exists (``forge_core.warehouse.connection``) or when the run's Dagster instance records
materialisations of the market data (the file was there, and was lost or moved).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import AssetKey, ConfigurableResource, DagsterInstance, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr

from forge_core.settings import warehouse_path
from forge_core.warehouse.connection import RetryPolicy, WarehouseMissing, open_warehouse

# every asset that writes the warehouse starts from these: a materialisation of one means the file held data
MARKET_DATA_KEYS = (AssetKey("raw_prices"), AssetKey("market_close"))


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file. Connections are short: open per unit of work, never held while training.

    ``forge_jobs.resources.resources_from_env`` passes FORGE_WAREHOUSE to ``path`` as
    ``EnvVar("FORGE_WAREHOUSE")`` when set; empty means FORGE_HOME/warehouse.duckdb (``forge_core.settings``)."""

    path: str = Field(default="", description="DuckDB file; empty means FORGE_HOME/warehouse.duckdb.")
    open_timeout_s: float = Field(
        default=120.0, description="How long an open retries while another process writes."
    )

    _instance: DagsterInstance | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._instance = context.instance

    @property
    def file(self) -> Path:
        """The DuckDB file. Outside a run (e.g. the demo reading ``defs.resources``) the resource is unresolved
        and ``path`` may still be an ``EnvVar``; its value is then read the way Dagster resolves it in a run."""
        path = (self.path.get_value() or "") if isinstance(self.path, EnvVar) else self.path
        return Path(path) if path else warehouse_path()

    @contextmanager
    def open(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection that retries with jittered backoff while the file is locked, closed on exit;
        ``WarehouseMissing`` for a writable open of a missing file that the run's instance has seen written."""
        if not read_only and not self.file.exists():
            self._refuse_if_materialised()
        with open_warehouse(
            self.file, read_only=read_only, retry=RetryPolicy(timeout_s=self.open_timeout_s)
        ) as conn:
            yield conn

    def _refuse_if_materialised(self) -> None:
        for key in MARKET_DATA_KEYS:
            event = self._instance.get_latest_materialization_event(key) if self._instance else None
            if event is not None:
                raise WarehouseMissing(
                    f"warehouse {self.file} is missing but the Dagster instance records {key.to_user_string()} "
                    f"materialised (run {event.run_id}): refusing to start an empty warehouse; put the file back "
                    "(from a backup, or its reader snapshot: see the README), or point FORGE_WAREHOUSE at it"
                )
