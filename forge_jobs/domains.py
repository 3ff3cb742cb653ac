"""The code location's Definitions, one per domain, in the style of dagster-io/dagster-open-platform: each domain
brings its assets (with their checks) and jobs; ``forge_jobs.definitions`` merges them once with the resources."""

from __future__ import annotations

from dagster import Definitions

from forge_assets import market_data
from forge_assets.backtest_report import backtest_report_asset
from forge_assets.model_families import FamilyAssets
from forge_jobs.jobs import backtest_report_job, baselines_job, deep_models_job, market_data_job, tuning_job


def market_data_definitions() -> Definitions:
    """raw_prices -> daily_features -> targets, by year of market data."""
    return Definitions(
        assets=[market_data.raw_prices, market_data.daily_features, market_data.targets],
        jobs=[market_data_job],
    )


def models_definitions(families: FamilyAssets) -> Definitions:
    """Every family's walk-forward forecasts."""
    return Definitions(assets=list(families.forecasts.values()), jobs=[baselines_job, deep_models_job])


def tuning_definitions(families: FamilyAssets) -> Definitions:
    """The Optuna studies of every tunable family."""
    return Definitions(assets=list(families.hyperparameters.values()), jobs=[tuning_job])


def backtest_definitions(families: FamilyAssets) -> Definitions:
    """The report over every family's forecasts."""
    return Definitions(
        assets=[backtest_report_asset(list(families.forecasts.values()))], jobs=[backtest_report_job]
    )
