"""The code location: every asset, check, job and resource of VolatilityForge."""

from __future__ import annotations

from dagster import Definitions, load_assets_from_modules

from forge_assets import backtest, baselines, deep_models, market_data, tuning
from forge_jobs.jobs import backtest_report_job, baselines_job, deep_models_job, market_data_job, tuning_job
from forge_jobs.resources import resources_from_env

defs = Definitions(
    assets=load_assets_from_modules([market_data, baselines, tuning, deep_models, backtest]),
    jobs=[market_data_job, baselines_job, deep_models_job, tuning_job, backtest_report_job],
    resources=resources_from_env(),
)
