"""End to end under the real daemon: ``dagster-daemon run`` on the Postgres instance of the repository's
dagster.yaml, the ``retrain_on_drift_or_degradation`` sensor turned on by the ``dagster`` command, a drift report
saying rv_1d drifted, and the sensor's tick launches one retraining run (queued, launched in its own process)
that succeeds and registers the first champion. Then the daemon is killed and, as if it had died between launching
the run and storing its cursor, the sensor's cursor is deleted; the restarted daemon's next tick reads the same
report again and launches nothing (the run's trigger tag and run key say it was answered).

The report's verdict is given (a runless materialisation of ``drift_report`` with its ``retrain_targets``): how a
report reaches it is tested with real reports elsewhere; this test is about the daemon's machinery. Needs the CI
Postgres; fails without it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import (
    AssetMaterialization,
    DagsterInstance,
    DagsterRunStatus,
    MetadataValue,
    RunsFilter,
    instance_for_test,
)
from dagster._core.scheduler.instigation import TickStatus

from forge_assets.forecast_monitoring import RETRAIN_TARGETS
from forge_core.live.registry import aliases
from forge_core.tracking import default_tracking_config
from forge_jobs.automation import TRIGGER_TAG
from tests.assets.test_baselines import BY_NAME, run
from tests.conftest import postgres_instance, throwaway_database

REPO = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
DAY = "2019-07-01"
WAIT_S = 420
SENSOR = "retrain_on_drift_or_degradation"


def environment(home: Path, warehouse: Path, database: str) -> dict[str, str]:
    """What the daemon, its code server and its runs read: this test's FORGE_HOME and warehouse, the instance."""
    return {
        **os.environ,
        **postgres_instance(home, database),
        "FORGE_WAREHOUSE": str(warehouse),
        "FORGE_SOURCE": "synthetic",
        "FORGE_SYNTHETIC_SYMBOLS": "2",
        "FORGE_SYNTHETIC_START": "2016-01-04",
    }


def sensor_ticks(instance: DagsterInstance) -> list:  # type: ignore[type-arg]
    states = [s for s in instance.all_instigator_state() if s.name == SENSOR]
    return [t for s in states for t in instance.get_ticks(s.instigator_origin_id, s.selector_id)]


def test_a_sensor_tick_under_the_daemon_launches_a_retraining_that_succeeds(
    market: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = [BY_NAME["har_forecasts"], BY_NAME["log_har_forecasts"]]
    with instance_for_test() as scratch:  # the walk-forward history a retraining ranks and calibrates on
        assert run(scratch, members, market, "rv_1d|2018-01-01", "rv_1d|2019-06-01").success

    with throwaway_database("forge_daemon") as database:
        env = environment(tmp_path / "dagster_home", market, database)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with DagsterInstance.get() as instance:
            instance.report_runless_asset_event(
                AssetMaterialization(
                    "drift_report", partition=DAY, metadata={RETRAIN_TARGETS: MetadataValue.json(["rv_1d"])}
                )
            )
            started = subprocess.run(
                [BIN / "dagster", "sensor", "start", SENSOR, "-w", "workspace.yaml"],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
            )  # fmt: skip
            assert started.returncode == 0, started.stderr[-2000:]
            daemon = start_daemon(env)
            try:
                runs = []
                deadline = time.monotonic() + WAIT_S
                while time.monotonic() < deadline and daemon.poll() is None:
                    runs = instance.get_runs(RunsFilter(job_name="retrain_job"))
                    if runs and runs[0].is_finished:
                        break
                    time.sleep(3)
                ticks = sensor_ticks(instance)
            finally:
                errors = kill(daemon)
            assert len(runs) == 1, f"retraining runs: {runs}; daemon stderr: {errors[-3000:]}"
            (retraining,) = runs
            assert retraining.status == DagsterRunStatus.SUCCESS, errors[-3000:]
            assert retraining.tags["dagster/partition"] == "rv_1d"
            assert retraining.tags[TRIGGER_TAG] == f"drift_report:{DAY}:rv_1d"
            assert retraining.tags["dagster/run_key"] == f"drift_report:{DAY}:rv_1d#1"
            assert any(t.status == TickStatus.SUCCESS and retraining.run_id in t.run_ids for t in ticks)
            assert "champion" in aliases(default_tracking_config(), "rv_1d")

            lost = subprocess.run(
                [BIN / "dagster", "sensor", "cursor", SENSOR, "--delete", "-w", "workspace.yaml"],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
            )  # fmt: skip
            assert lost.returncode == 0, lost.stderr[-2000:]
            restarted = time.time()
            daemon = start_daemon(env)
            try:
                later: list = []  # type: ignore[type-arg]
                deadline = time.monotonic() + WAIT_S
                while not later and time.monotonic() < deadline and daemon.poll() is None:
                    time.sleep(3)
                    later = [t for t in sensor_ticks(instance) if t.timestamp > restarted and t.is_completed]
            finally:
                errors = kill(daemon)
            assert later, f"no sensor tick after the restart; daemon stderr: {errors[-3000:]}"
            assert later[-1].status == TickStatus.SKIPPED, later[-1]
            assert f"drift_report:{DAY}:rv_1d already retrained" in (later[-1].skip_reason or "")
            assert len(instance.get_runs(RunsFilter(job_name="retrain_job"))) == 1


def start_daemon(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [BIN / "dagster-daemon", "run", "-w", "workspace.yaml"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def kill(daemon: subprocess.Popen[str]) -> str:
    """SIGKILL the daemon and everything it started (no clean shutdown); its stderr."""
    os.killpg(daemon.pid, signal.SIGKILL)
    _, errors = daemon.communicate(timeout=60)
    return errors
