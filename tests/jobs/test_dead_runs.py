"""A run killed with SIGKILL mid-step costs a re-run and nothing else: the next launch finds it dead, marks it
failed and frees its pool slot, on the embedded SQLite instance and on the Postgres one; SIGTERM stops a run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from forge_jobs.instance import EMBEDDED_INSTANCE_YAML
from tests.conftest import POSTGRES, throwaway_database

REPO = Path(__file__).parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def dagster_home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a process on a fresh instance of either kind (pools limited to one slot)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)}
    if request.param == "sqlite":
        (home / "dagster.yaml").write_text(EMBEDDED_INSTANCE_YAML)
        yield env
        return
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    with throwaway_database("forge_dead_runs") as database:
        yield env | {
            "DAGSTER_PG_HOST": POSTGRES["host"],
            "DAGSTER_PG_PORT": str(POSTGRES["port"]),
            "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USER": POSTGRES["user"],
            "DAGSTER_PG_PASSWORD": "",
        }


def start(env: dict[str, str], started: Path, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs._pool_job"],
        env=env | {"STARTED_FILE": str(started), "STEP_SECONDS": str(seconds)},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.2)


def instance_of(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> DagsterInstance:
    for key in ("DAGSTER_HOME", "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USER"):
        if key in env:
            monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "")
    return DagsterInstance.get()


def test_a_killed_run_is_failed_and_its_slot_freed_by_the_next_launch(
    dagster_home: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed = start(dagster_home, tmp_path / "first", seconds=600)
    wait_for(tmp_path / "first", killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    with instance_of(dagster_home, monkeypatch) as instance:
        (dead,) = instance.get_runs()
        assert dead.status == DagsterRunStatus.STARTED  # what a kill leaves behind
        assert instance.event_log_storage.get_concurrency_info("warehouse").active_run_ids == {dead.run_id}

    following = start(dagster_home, tmp_path / "second", seconds=0)
    output, _ = following.communicate(timeout=120)  # without recovery it would wait on the slot for ever
    assert following.returncode == 0, output
    assert f"run {dead.run_id}: its process" in output and "is gone; marked failed" in output
    with instance_of(dagster_home, monkeypatch) as instance:
        assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE
        statuses = {run.status for run in instance.get_runs()}
        assert statuses == {DagsterRunStatus.FAILURE, DagsterRunStatus.SUCCESS}
        assert not instance.event_log_storage.get_concurrency_info("warehouse").active_run_ids


def test_sigterm_stops_a_run_marks_it_failed_and_frees_its_slot(
    dagster_home: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped = start(dagster_home, tmp_path / "first", seconds=600)
    wait_for(tmp_path / "first", stopped)
    stopped.send_signal(signal.SIGTERM)
    output, _ = stopped.communicate(timeout=60)
    assert stopped.returncode != 0, output
    with instance_of(dagster_home, monkeypatch) as instance:
        (run,) = instance.get_runs()
        assert run.is_finished and run.status != DagsterRunStatus.SUCCESS
        assert not instance.event_log_storage.get_concurrency_info("warehouse").active_run_ids


def test_a_run_waiting_on_a_pool_says_who_holds_it_and_honours_sigterm(
    dagster_home: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = start(dagster_home, tmp_path / "holder", seconds=600)
    try:
        wait_for(tmp_path / "holder", holder)
        waiting = start(dagster_home, tmp_path / "waiting", seconds=0)
        time.sleep(8)  # launched, announced the holder, now waiting on the slot
        assert waiting.poll() is None and not (tmp_path / "waiting").exists()
        waiting.send_signal(signal.SIGTERM)
        output, _ = waiting.communicate(timeout=60)
        with instance_of(dagster_home, monkeypatch) as instance:
            held = instance.event_log_storage.get_concurrency_info("warehouse").active_run_ids
            (holding,) = held
            assert f"pool 'warehouse' is held by run {holding} (step pool_step, STARTED)" in output
            runs = {run.run_id: run for run in instance.get_runs()}
            (stopped,) = [run for run_id, run in runs.items() if run_id != holding]
            assert stopped.is_finished and stopped.status != DagsterRunStatus.SUCCESS
    finally:
        holder.kill()
        holder.wait()
