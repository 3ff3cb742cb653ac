"""A run waiting on a pool slot is freed by itself when the slot's holder is killed: it finds the holder dead,
runs the dead-run recovery and takes the slot, with no other launch (embedded SQLite and Postgres instances)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from dagster import DagsterRunStatus

from tests.jobs.test_dead_runs import dagster_home, instance_of, start, wait_for

__all__ = ["dagster_home"]  # the fixture, shared with test_dead_runs

CHECK_S = 2.0  # the waiting run's holder check (30 s by default)
BOUND_S = CHECK_S + 15 + 25  # one check, Dagster's longest claim retry (15 s), a slow start-up and teardown


def test_a_run_waiting_on_a_killed_holder_recovers_it_and_finishes(
    dagster_home: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = start(dagster_home, tmp_path / "holder", seconds=600)
    wait_for(tmp_path / "holder", holder)
    waiting = start(dagster_home | {"HOLDER_CHECK_S": str(CHECK_S)}, tmp_path / "waiting", seconds=0)
    try:
        with instance_of(dagster_home, monkeypatch) as instance:
            deadline = time.monotonic() + 90
            while not instance.event_log_storage.get_concurrency_info("warehouse").pending_run_ids:
                assert waiting.poll() is None and time.monotonic() < deadline, (
                    "the run never waited on the pool"
                )
                time.sleep(0.5)
            (held,) = instance.event_log_storage.get_concurrency_info("warehouse").active_run_ids
        holder.send_signal(signal.SIGKILL)
        holder.wait()  # reaped, as its shell would: a zombie's pid still answers
        killed = time.monotonic()
        output, _ = waiting.communicate(timeout=120)
        took = time.monotonic() - killed
    finally:
        for process in (holder, waiting):
            process.kill()
            process.wait()
    assert waiting.returncode == 0, output
    assert took < BOUND_S, f"the waiting run took {took:.0f} s after the kill: {output}"
    assert f"waits on pool 'warehouse', held by dead run(s) ['{held}']: recovering them" in output
    assert f"run {held}: its process" in output and "is gone; marked failed" in output
    with instance_of(dagster_home, monkeypatch) as instance:
        statuses = {run.run_id: run.status for run in instance.get_runs()}
        assert statuses.pop(held) == DagsterRunStatus.FAILURE
        assert list(statuses.values()) == [DagsterRunStatus.SUCCESS]
        assert not instance.event_log_storage.get_concurrency_info("warehouse").active_run_ids
