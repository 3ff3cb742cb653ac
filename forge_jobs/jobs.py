"""Jobs over the asset graph."""

from dagster import AssetSelection, define_asset_job

from forge_assets.backtest import backtest_report
from forge_assets.baselines import GROUP as BASELINES
from forge_assets.market_data import GROUP as MARKET_DATA

market_data_job = define_asset_job(
    name="market_data_job",
    selection=AssetSelection.groups(MARKET_DATA),
    description="Ingest bars, build daily features and realised targets for a range of trading days (one run).",
)

baselines_job = define_asset_job(
    name="baselines_job",
    selection=AssetSelection.groups(BASELINES),
    description=(
        "Walk-forward backtest of the econometric baselines: backfill a range of target x window partitions "
        "(one run); each window refits on purged history and forecasts its days out of sample."
    ),
)

backtest_report_job = define_asset_job(
    name="backtest_report_job",
    selection=AssetSelection.assets(backtest_report),
    description="Score every stored out-of-sample forecast against the realised targets.",
)
