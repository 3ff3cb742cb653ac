"""Jobs over the asset graph."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from forge_assets.market_data import GROUP
from forge_assets.partitions import trading_days

market_data_job = define_asset_job(
    name="market_data_job",
    selection=AssetSelection.groups(GROUP),
    partitions_def=trading_days,
    description="Ingest bars, build daily features and realised targets for a range of trading days (one run).",
)
