"""Rolling a champion back from the UI: ``rollback_job`` with the target as run config."""

from dagster import Config, Failure, OpExecutionContext, job, op
from pydantic import Field

from forge_assets.forecast_monitoring import record_rollback
from forge_core.live.registry import MissingAlias, aliases, rollback
from forge_core.targets import configured_targets
from forge_core.tracking import CHAMPION
from forge_resources import MlflowResource, WarehouseResource


class RollbackConfig(Config):
    """Which target's champion to roll back."""

    target: str = Field(description="A configured target, e.g. rv_5d.")


@op(description="Move the target's champion back to its previous champion, and record it in promotions.")
def roll_back_champion(
    context: OpExecutionContext,
    config: RollbackConfig,
    tracking: MlflowResource,
    warehouse: WarehouseResource,
) -> None:
    names = [spec.name for spec in configured_targets()]
    if config.target not in names:
        raise Failure(
            description=f"unknown target {config.target!r}; configured: {names}", allow_retries=False
        )
    store = tracking.config()
    before = aliases(store, config.target)
    try:
        after = rollback(store, config.target)
    except MissingAlias as error:
        raise Failure(description=str(error), allow_retries=False) from None
    record_rollback(warehouse, config.target, before, after, context.run_id)
    context.log.info(f"{config.target}: champion version {before.get(CHAMPION)} -> {after.get(CHAMPION)}")


@job(description="Roll a target's champion back to its previous champion (run config: the target).")
def rollback_job() -> None:
    roll_back_champion()
