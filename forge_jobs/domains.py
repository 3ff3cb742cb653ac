"""The code location's Definitions, one per domain, in the style of dagster-io/dagster-open-platform: each domain
brings its assets (with their checks) and jobs; ``forge_jobs.definitions`` merges them once with the resources."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetsDefinition, Definitions

from forge_assets import market_data, option_data
from forge_assets.backtest_report import backtest_report_asset
from forge_assets.daily_forecasts import daily_forecasts
from forge_assets.feature_importance import feature_importance
from forge_assets.forecast_drivers import forecast_drivers
from forge_assets.forecast_monitoring import drift_report, forecast_scores, promotions
from forge_assets.forecast_paths import forecast_paths
from forge_assets.live_models import live_models_asset
from forge_assets.market_close import market_close
from forge_assets.market_regimes import live_regimes, market_regimes
from forge_assets.model_families import FamilyAssets
from forge_assets.risk_backtests import risk_assets
from forge_jobs.automation import daily_forecast_schedule, retrain_on_drift_or_degradation
from forge_jobs.jobs import (
    backtest_report_job,
    baselines_job,
    daily_job,
    deep_models_job,
    ensembles_job,
    market_data_job,
    regimes_job,
    retrain_job,
    tuning_job,
)
from forge_jobs.rollback import rollback_job


def market_data_definitions() -> Definitions:
    """raw_prices -> daily_features -> targets, option and quote data and their features, by year of market data."""
    return Definitions(
        assets=[
            market_data.raw_prices,
            market_data.daily_features,
            market_data.targets,
            option_data.option_quotes,
            option_data.quote_summaries,
            option_data.option_features,
            option_data.market_features,
        ],
        jobs=[market_data_job],
    )


def regimes_definitions() -> Definitions:
    """The market regimes per walk-forward window."""
    return Definitions(assets=[market_regimes], jobs=[regimes_job])


def models_definitions(families: FamilyAssets) -> Definitions:
    """Every family's and feature variant's walk-forward forecasts."""
    return Definitions(
        assets=[*families.forecasts.values(), *families.variants.values()],
        jobs=[baselines_job, deep_models_job],
    )


def tuning_definitions(families: FamilyAssets) -> Definitions:
    """The Optuna studies of every tunable family."""
    return Definitions(assets=list(families.hyperparameters.values()), jobs=[tuning_job])


def ensembles_definitions(ensembles: Sequence[AssetsDefinition]) -> Definitions:
    """Every registered combiner's ensemble of the families' forecasts, and the intervals of them all."""
    return Definitions(assets=list(ensembles), jobs=[ensembles_job])


def backtest_definitions(forecasts: Sequence[AssetsDefinition], intervals: AssetsDefinition) -> Definitions:
    """The report over every family's and ensemble's forecasts and their intervals, and the risk and strategy
    backtests of the one-day forecasts."""
    return Definitions(
        assets=[backtest_report_asset(forecasts, intervals), *risk_assets(forecasts)],
        jobs=[backtest_report_job],
    )


def live_definitions(families: FamilyAssets) -> Definitions:
    """The live path: live models per target; the day's close, its published forecasts, their scores and the
    promotion decisions; rollback."""
    return Definitions(
        assets=[
            live_models_asset(list(families.forecasts.values())),
            market_close,
            live_regimes,
            daily_forecasts,
            forecast_scores,
            promotions,
            drift_report,
            forecast_drivers,
            forecast_paths,
            feature_importance,
        ],
        jobs=[retrain_job, daily_job, rollback_job],
        schedules=[daily_forecast_schedule],
        sensors=[retrain_on_drift_or_degradation],
    )
