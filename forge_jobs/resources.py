"""Resources for the current environment, from FORGE_* variables with embedded defaults.

FORGE_HOME (state folder, default .forge/), FORGE_WAREHOUSE (DuckDB file, default FORGE_HOME/warehouse.duckdb),
FORGE_SOURCE (bundled | files | synthetic), FORGE_FILES_PATH, FORGE_SYNTHETIC_SYMBOLS, FORGE_SYNTHETIC_SEED,
FORGE_SYNTHETIC_START; FORGE_DEVICE and FORGE_PRECISION (default: cuda/bf16 when a GPU is present, else cpu/fp32);
FORGE_MLFLOW_TRACKING_URI, FORGE_MLFLOW_REGISTRY_URI (default SQLite under FORGE_HOME/mlflow; production: a
postgresql+psycopg2:// URI); FORGE_OPTUNA_STORAGE (default SQLite under FORGE_HOME/optuna; production: Postgres).
"""

from __future__ import annotations

import os

from forge_resources import (
    ComputeResource,
    MarketDataResource,
    MlflowResource,
    OptunaResource,
    WarehouseResource,
)


def resources_from_env() -> dict[str, object]:
    """The resource instances every asset and job of this code location uses."""
    env = os.environ
    return {
        "warehouse": WarehouseResource(path=env.get("FORGE_WAREHOUSE", "")),
        "market_data": MarketDataResource(
            source=env.get("FORGE_SOURCE", "bundled"),
            files_path=env.get("FORGE_FILES_PATH", ""),
            synthetic_symbols=int(env.get("FORGE_SYNTHETIC_SYMBOLS", "5")),
            synthetic_seed=int(env.get("FORGE_SYNTHETIC_SEED", "7")),
            synthetic_start=env.get("FORGE_SYNTHETIC_START", "2000-01-03"),
        ),
        "compute": ComputeResource(
            device=env.get("FORGE_DEVICE", ""), precision=env.get("FORGE_PRECISION", "")
        ),
        "tracking": MlflowResource(
            tracking_uri=env.get("FORGE_MLFLOW_TRACKING_URI", ""),
            registry_uri=env.get("FORGE_MLFLOW_REGISTRY_URI", ""),
        ),
        "tuning": OptunaResource(storage_url=env.get("FORGE_OPTUNA_STORAGE", "")),
    }
