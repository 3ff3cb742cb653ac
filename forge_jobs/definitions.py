"""The code location: every domain's assets, checks and jobs, merged once with the environment's resources."""

from __future__ import annotations

from dagster import Definitions

from forge_assets.ensemble_forecasts import ensemble_assets
from forge_assets.model_families import family_assets
from forge_assets.prediction_intervals import intervals_asset
from forge_jobs.console_logger import forge_console_logger
from forge_jobs.domains import (
    backtest_definitions,
    ensembles_definitions,
    live_definitions,
    market_data_definitions,
    models_definitions,
    regimes_definitions,
    tuning_definitions,
)
from forge_jobs.executors import executor_from_env
from forge_jobs.resources import resources_from_env


def build_definitions() -> Definitions:
    """The Definitions for the families registered now (``forge_core.models.MODEL_REGISTRY``)."""
    families = family_assets()
    members = [*families.forecasts.values(), *families.variants.values()]  # a variant may be a member too
    ensembles = ensemble_assets(members)
    intervals = intervals_asset([*members, *ensembles])
    return Definitions.merge(
        market_data_definitions(),
        regimes_definitions(),
        models_definitions(families),
        tuning_definitions(families),
        ensembles_definitions([*ensembles, intervals]),
        backtest_definitions([*members, *ensembles], intervals),
        live_definitions(families),
        Definitions(
            resources=resources_from_env(),
            executor=executor_from_env(),
            loggers={"console": forge_console_logger},
        ),
    )


defs = build_definitions()
