"""Jobs of the real definitions on FORGE_HOME's embedded instance, through ``forge_jobs.launch.run_job``, as the
demo runs them: ``python -m tests.jobs._state_job <job> <first partition> [<last partition>]``; exits 0 when the
run succeeds. AS_OF=<day> sets a retraining's ``as_of``. With BLOCK_AT_RUN=<n> and STARTED_FILE set, the process
writes the file when it creates its n-th MLflow run, then waits there for ever (a kill then lands in the middle of
the tracking: that run RUNNING, the earlier ones logged and registered)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from mlflow import MlflowClient

from forge_jobs.definitions import defs
from forge_jobs.instance import dagster_instance
from forge_jobs.launch import RANGE_END, RANGE_START, run_job

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _block_at_run(count: int, started: Path) -> None:
    """Make the ``count``-th MLflow run this process creates write ``started`` and wait for ever."""
    create, created = MlflowClient.create_run, []

    def create_and_block(self: MlflowClient, *args: object, **kwargs: object) -> object:
        run = create(self, *args, **kwargs)  # type: ignore[arg-type]
        created.append(run.info.run_id)
        if len(created) == count:
            started.write_text(run.info.run_id)
            threading.Event().wait()
        return run

    MlflowClient.create_run = create_and_block  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    job_name, first, *rest = sys.argv[1:]
    if os.environ.get("BLOCK_AT_RUN"):
        _block_at_run(int(os.environ["BLOCK_AT_RUN"]), Path(os.environ["STARTED_FILE"]))
    last = rest[0] if rest else first
    job = defs.resolve_job_def(job_name)
    tags = (
        {"dagster/partition": first} if job_name == "retrain_job" else {RANGE_START: first, RANGE_END: last}
    )
    as_of = (
        {"ops": {"live_models": {"config": {"as_of": os.environ["AS_OF"]}}}}
        if os.environ.get("AS_OF")
        else {}
    )
    result = run_job(job, dagster_instance(), run_config=QUIET | as_of, tags=tags, raise_on_error=False)
    sys.exit(0 if result.success else 1)
