"""Dagster resources wrapping the platform's infrastructure: warehouse, market data, compute, tracking, tuning."""

from forge_resources.duckdb_warehouse import WarehouseResource
from forge_resources.market_source import MarketDataResource
from forge_resources.mlflow_tracking import MlflowResource
from forge_resources.optuna_storage import OptunaResource
from forge_resources.torch_compute import ComputeResource

__all__ = ["ComputeResource", "MarketDataResource", "MlflowResource", "OptunaResource", "WarehouseResource"]
