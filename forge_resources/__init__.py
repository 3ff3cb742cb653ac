"""Dagster resources wrapping the platform's infrastructure: warehouse, market data, compute, tracking, tuning."""

from forge_resources.compute import ComputeResource
from forge_resources.market_data import MarketDataResource
from forge_resources.tracking import MlflowResource
from forge_resources.tuning import OptunaResource
from forge_resources.warehouse import WarehouseResource

__all__ = ["ComputeResource", "MarketDataResource", "MlflowResource", "OptunaResource", "WarehouseResource"]
