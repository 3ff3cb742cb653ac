"""Jobs over the asset graph."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from forge_assets.market_data import GROUP

market_data_job = define_asset_job(
    name="market_data_job",
    selection=AssetSelection.groups(GROUP),
    description="Ingest bars, build daily features and realised targets for a range of trading days (one run).",
)
