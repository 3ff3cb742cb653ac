"""Dagster resources wrapping the platform's infrastructure: the warehouse and the market data source."""

from forge_resources.market_data import MarketDataResource
from forge_resources.warehouse import WarehouseResource

__all__ = ["MarketDataResource", "WarehouseResource"]
