"""A one-asset code location on ``resources_from_env()``, loaded by test_env_vars the way the webserver loads one.

``location`` is lazy (``@definitions``): each load reads the environment of that moment, as a code server does.
"""

from __future__ import annotations

import dagster as dg

from forge_jobs.resources import resources_from_env
from forge_resources import (
    ComputeResource,
    MarketDataResource,
    MlflowResource,
    OptunaResource,
    WarehouseResource,
)


@dg.asset
def resolved_settings(
    warehouse: WarehouseResource,
    market_data: MarketDataResource,
    compute: ComputeResource,
    tracking: MlflowResource,
    tuning: OptunaResource,
) -> dict[str, object]:
    """What each resource holds inside a run, once Dagster has resolved its config."""
    stores = tracking.config()
    return {
        "warehouse": str(warehouse.file),
        "source": market_data.source,
        "files_path": market_data.files_path,
        "synthetic_symbols": market_data.synthetic_symbols,
        "synthetic_seed": market_data.synthetic_seed,
        "synthetic_start": market_data.synthetic_start,
        "device": compute.device,
        "precision": compute.precision,
        "tracking_uri": stores.tracking_uri,
        "registry_uri": stores.registry_uri,
        "artifact_root": stores.artifact_root,
        "optuna_storage": tuning.storage(),
    }


@dg.definitions
def location() -> dg.Definitions:
    return dg.Definitions(assets=[resolved_settings], resources=resources_from_env())
