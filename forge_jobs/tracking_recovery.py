"""The MLflow half of the dead-run recovery (``forge_jobs.launch.recover_dead_runs``): what dead Dagster runs left
in the tracking store and the registry, cleaned up with ``forge_core.tracking.recovery`` on the stores and the
warehouse the code location's resources name."""

from __future__ import annotations

import logging

from dagster import DagsterInstance

from forge_core.tracking.recovery import recover_tracking
from forge_jobs.resources import resources_from_env
from forge_resources import MlflowResource, WarehouseResource


def recover_dead_runs_tracking(instance: DagsterInstance, dead: list[str], log: logging.Logger) -> None:
    """Clean up what the Dagster runs ``dead``, and any ended run with an MLflow run still RUNNING, left in MLflow;
    say what was done in ``log``. A store that cannot be reached is a warning: the launch goes on."""

    def is_over(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)
        return run is not None and run.is_finished

    resources = resources_from_env()
    tracking, warehouse = resources["tracking"], resources["warehouse"]
    assert isinstance(tracking, MlflowResource) and isinstance(warehouse, WarehouseResource)
    try:
        handled, cleanup = recover_tracking(tracking.config(), dead, is_over, warehouse.file)
    except Exception as error:
        log.warning(f"dead run(s) {', '.join(dead) or '(none)'}: MLflow not cleaned up: {error}")
        return
    for line in cleanup.lines(handled):
        log.warning(line)
