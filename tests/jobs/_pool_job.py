"""A one-step job in the `warehouse` pool, run through ``forge_jobs.launch.run_job`` on the instance named by
DAGSTER_HOME: ``python -m tests.jobs._pool_job`` (the step writes STARTED_FILE, then sleeps STEP_SECONDS; while
it waits on the pool, the run checks its holder every HOLDER_CHECK_S seconds)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, Definitions, asset, define_asset_job

from forge_jobs.launch import run_job


@asset(pool="warehouse")
def pool_step() -> None:
    Path(os.environ["STARTED_FILE"]).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("STEP_SECONDS", "0")))


JOB = Definitions(assets=[pool_step], jobs=[define_asset_job("pool_job")]).resolve_job_def("pool_job")

if __name__ == "__main__":
    check_s = float(os.environ.get("HOLDER_CHECK_S", "30"))
    with DagsterInstance.get() as instance:
        sys.exit(0 if run_job(JOB, instance, raise_on_error=False, holder_check_s=check_s).success else 1)
