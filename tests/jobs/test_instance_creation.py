"""Creating the embedded Dagster instance safely: four processes at once, and the next start after a kill."""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import time
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest
import sqlalchemy
from dagster import DagsterInstance, DagsterRunStatus, asset, materialize
from dagster._core.storage.runs.schema import RunStorageSqlMetadata
from dagster._core.storage.sqlite import LAST_KNOWN_STAMPED_SQLITE_ALEMBIC_REVISION

from forge_jobs.instance import _damage, dagster_instance

REPO = Path(__file__).resolve().parents[2]
WORKERS = 4
KILLS = 5
# Each worker imports, says it is ready, waits for the go, then opens the instance and materialises an asset.
WORKER = """
import os, sys, time
from pathlib import Path
from dagster import asset, materialize
from forge_jobs.instance import dagster_instance

@asset
def tiny() -> int:
    return 1

gate = Path(sys.argv[1])
(gate / f"ready-{os.getpid()}").touch()
while not (gate / "go").exists():
    time.sleep(0.005)
with dagster_instance() as instance:
    result = materialize([tiny], instance=instance)
    print("RUN", result.run_id, result.success)
"""


@asset
def tiny() -> int:
    return 1


def start_together(script: str, gate: Path, count: int) -> list[subprocess.Popen[str]]:
    """``count`` processes running ``script`` with ``gate``; they are let go once all have imported."""
    gate.mkdir()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(gate)],
            cwd=REPO,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]
    deadline = time.monotonic() + 120
    while len(list(gate.glob("ready-*"))) < count:
        assert time.monotonic() < deadline and all(w.poll() is None for w in workers), (
            "a worker did not start"
        )
        time.sleep(0.01)
    (gate / "go").touch()
    return workers


def materialise_once(instance: DagsterInstance) -> str:
    result = materialize([tiny], instance=instance)
    assert result.success
    return result.run_id


def open_instance(home: Path, monkeypatch: pytest.MonkeyPatch) -> DagsterInstance:
    """The embedded instance of FORGE_HOME ``home``, as a new process would open it."""
    monkeypatch.setenv("FORGE_HOME", str(home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return dagster_instance()


def create_instance(forge_home: str, started: Event) -> None:
    started.set()
    os.environ["FORGE_HOME"] = forge_home
    os.environ.pop("DAGSTER_HOME", None)
    dagster_instance()


def test_four_processes_create_a_fresh_instance_together(
    forge_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workers = start_together(WORKER, tmp_path / "gate", WORKERS)
    outputs = [worker.communicate(timeout=180)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS, outputs
    lines = [line.split() for out in outputs for line in out.splitlines() if line.startswith("RUN ")]
    assert [words[2] for words in lines] == ["True"] * WORKERS, outputs

    home = forge_home / "dagster"
    assert _damage(home) == {}
    assert not list(home.glob("broken-*"))  # nothing was left half-made
    with open_instance(forge_home, monkeypatch) as instance:
        runs = instance.get_runs()
        assert sorted(run.run_id for run in runs) == sorted(words[1] for words in lines)
        assert {run.status for run in runs} == {DagsterRunStatus.SUCCESS}
        materialise_once(instance)
        assert len(instance.get_runs()) == WORKERS + 1


def test_a_half_created_instance_without_runs_is_rebuilt(
    forge_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What a kill during ``SqliteRunStorage.from_local`` leaves: some tables (SQLite commits each CREATE TABLE
    on its own) and no alembic row."""
    runs_db = forge_home / "dagster" / "history" / "runs.db"
    runs_db.parent.mkdir(parents=True)
    engine = sqlalchemy.create_engine(f"sqlite:///{runs_db}")
    for name in ("runs", "run_tags", "secondary_indexes"):
        RunStorageSqlMetadata.tables[name].create(engine)
    engine.dispose()

    with caplog.at_level(logging.WARNING, logger="forge_jobs.instance"):
        instance = open_instance(forge_home, monkeypatch)
    with instance:
        (line,) = [r.getMessage() for r in caplog.records if "half-created" in r.getMessage()]
        (backup,) = (forge_home / "dagster").glob("broken-*")
        assert "history/runs.db" in line and "no alembic version" in line and str(backup) in line
        assert (backup / "history" / "runs.db").is_file()  # moved aside, not deleted
        materialise_once(instance)
    assert _damage(forge_home / "dagster") == {}


def test_an_instance_stamped_twice_keeps_its_runs(
    forge_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What processes creating the instance at once left before the lock: a second alembic row in runs.db
    ("Version table 'alembic_version' has more than one head present" on every open, which
    `dagster instance migrate` cannot mend). The runs stay; the row that is not the head goes."""
    with open_instance(forge_home, monkeypatch) as instance:
        kept = materialise_once(instance)
    runs_db = forge_home / "dagster" / "history" / "runs.db"
    with sqlite3.connect(runs_db) as conn:
        conn.execute("INSERT INTO alembic_version VALUES (?)", (LAST_KNOWN_STAMPED_SQLITE_ALEMBIC_REVISION,))
    conn.close()
    assert "alembic_version has 2 rows" in _damage(forge_home / "dagster")["history/runs.db"][0]

    with caplog.at_level(logging.WARNING, logger="forge_jobs.instance"):
        instance = open_instance(forge_home, monkeypatch)
    with instance:
        messages = [r.getMessage() for r in caplog.records]
        assert any("holds runs: repairing it" in m for m in messages), messages
        assert any(m.startswith("Repaired the Dagster instance storage") for m in messages), messages
        assert instance.get_run_by_id(kept) is not None
        materialise_once(instance)
        assert len(instance.get_runs()) == 2
    assert _damage(forge_home / "dagster") == {}
    assert not list((forge_home / "dagster").glob("broken-*"))


def test_the_next_start_after_a_kill_during_creation_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Real SIGKILLs at random moments of a fresh instance's creation (forked from a forkserver that has imported
    Dagster); the next start always materialises, and says so where it found the instance half-made."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    rng = random.Random(3)
    half_made = 0
    for attempt in range(KILLS):
        home = tmp_path / f"kill-{attempt}"
        started = context.Event()
        creator = context.Process(target=create_instance, args=(str(home), started))
        creator.start()
        assert started.wait(120)  # imported: the random delay counts from the start of the creation
        time.sleep(rng.uniform(0.1, 0.9))
        creator.kill()  # SIGKILL
        creator.join()
        half_made += (home / "dagster").is_dir() and bool(_damage(home / "dagster"))

        with caplog.at_level(logging.WARNING, logger="forge_jobs.instance"):
            instance = open_instance(home, monkeypatch)
        with instance:
            materialise_once(instance)
        assert _damage(home / "dagster") == {}
    repairs = [r for r in caplog.records if "was left half-created" in r.getMessage()]
    assert len(repairs) == half_made
    print(f"{half_made} of {KILLS} kills left the instance half-made")
