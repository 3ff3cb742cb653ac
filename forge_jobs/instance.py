"""The embedded Dagster instance: SQLite storage under FORGE_HOME/dagster, no set-up needed.

Production uses the repository's dagster.yaml (Postgres) instead; see the README.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

from forge_core.settings import forge_home

EMBEDDED_INSTANCE_YAML = """\
# Embedded VolatilityForge instance (SQLite under this folder). Written by forge_jobs.instance.
concurrency:
  pools:
    default_limit: 1  # `warehouse`: one DuckDB writer; `gpu`: one device
telemetry:
  enabled: false
"""


def embedded_dagster_home() -> Path:
    """FORGE_HOME/dagster, created with its dagster.yaml when missing."""
    home = forge_home() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(EMBEDDED_INSTANCE_YAML)
    return home


def dagster_instance() -> DagsterInstance:
    """The instance named by DAGSTER_HOME, else the embedded one (DAGSTER_HOME is then set to it)."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(embedded_dagster_home())
    return DagsterInstance.get()
