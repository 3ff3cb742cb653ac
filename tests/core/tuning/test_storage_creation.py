"""Creating the Optuna SQLite storage safely: four processes at once, and the next start after a kill.

The processes are started from a forkserver that has imported this module once (forge_core imports torch,
which takes each fresh interpreter seconds on two cores); every one is still a new process that opens the
storage on its own, as separate commands do.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import sqlite3
import time
import traceback
from multiprocessing.context import ForkServerContext
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import optuna
import pytest
from optuna.storages._rdb import models as optuna_models
from optuna.trial import TrialState

from forge_core.state_stores import schema_problems, sqlite_path, sqlite_state
from forge_core.tuning import default_storage_url, open_storage, open_study
from forge_core.tuning.study import _optuna_head

WORKERS = 4
TRIALS = 2
KILLS = 6


def forkserver() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def quadratic(trial: optuna.Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0) ** 2


def open_and_optimise(forge_home: str, go: Event, results: Queue[tuple[str, str]]) -> None:
    """Wait for ``go``, then open the default storage (making it if needed) and run trials of one study."""
    os.environ["FORGE_HOME"] = forge_home  # the forkserver's environment is that of the test that started it
    go.wait(120)
    try:
        open_study(default_storage_url(), "shared", seed=os.getpid()).optimize(quadratic, n_trials=TRIALS)
        results.put(("ok", str(os.getpid())))
    except BaseException:
        results.put(("error", traceback.format_exc()))
        raise


def create_storage(url: str, started: Event) -> None:
    started.set()
    open_storage(url)


def problems(db: Path) -> list[str]:
    state = sqlite_state(db)
    assert state is not None
    return schema_problems(state, optuna_models.BaseModel.metadata.tables, _optuna_head())


def default_db() -> Path:
    db = sqlite_path(default_storage_url())
    assert db is not None
    return db


def test_four_processes_create_a_fresh_storage_together(forge_home: Path) -> None:
    context = forkserver()
    go, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=open_and_optimise, args=(str(forge_home), go, results)) for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    go.set()  # all at once
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [kind for kind, _ in outcomes] == ["ok"] * WORKERS, outcomes
    assert [worker.exitcode for worker in workers] == [0] * WORKERS

    assert problems(default_db()) == []
    trials = optuna.load_study(study_name="shared", storage=open_storage(default_storage_url())).get_trials()
    assert len(trials) == WORKERS * TRIALS and all(t.state == TrialState.COMPLETE for t in trials)
    assert not list(default_db().parent.glob("broken-*"))


def test_a_half_created_storage_without_studies_is_rebuilt(caplog: pytest.LogCaptureFixture) -> None:
    """A kill after some CREATE TABLEs (SQLite commits each on its own): tables missing, no alembic row."""
    db = default_db()
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE studies (study_id INTEGER NOT NULL PRIMARY KEY, study_name VARCHAR(512))")
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    conn.close()

    with caplog.at_level(logging.WARNING, logger="forge_core.tuning.study"):
        study = open_study(default_storage_url(), "after-kill", seed=0)
    (line,) = [r.getMessage() for r in caplog.records if "half-created" in r.getMessage()]
    (backup,) = db.parent.glob("broken-*")
    assert str(db) in line and str(backup) in line and "no alembic version" in line
    assert (backup / "optuna.db").is_file()  # moved aside, not deleted
    study.optimize(quadratic, n_trials=2)
    assert len(study.get_trials()) == 2 and problems(db) == []


def test_a_storage_stamped_twice_keeps_its_studies(caplog: pytest.LogCaptureFixture) -> None:
    """What two processes stamping a new storage at once leave: two alembic rows, which every later open refuses
    ("more than one head"). The studies stay; the row that is not the head goes."""
    open_study(default_storage_url(), "kept", seed=0).optimize(quadratic, n_trials=3)
    with sqlite3.connect(default_db()) as conn:
        conn.execute("INSERT INTO alembic_version VALUES ('v0.9.0.a')")
    conn.close()
    assert any("alembic_version has 2 rows" in problem for problem in problems(default_db()))

    with caplog.at_level(logging.WARNING, logger="forge_core.tuning.study"):
        study = open_study(default_storage_url(), "kept", seed=1)
    messages = [r.getMessage() for r in caplog.records]
    assert any("holds data: repairing it in place" in m for m in messages), messages
    assert any(m.startswith("Repaired the Optuna store") for m in messages), messages
    study.optimize(quadratic, n_trials=1)
    assert len(study.get_trials()) == 4 and problems(default_db()) == []
    assert not list(default_db().parent.glob("broken-*"))


def test_the_next_start_after_a_kill_during_creation_succeeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Real SIGKILLs at random moments of a fresh storage's creation; the next open always works, and says so
    where it found the storage half-made."""
    context = forkserver()
    rng = random.Random(7)
    half_made = 0
    for attempt in range(KILLS):
        url = f"sqlite:///{tmp_path / f'kill-{attempt}' / 'optuna.db'}"
        started = context.Event()
        creator = context.Process(target=create_storage, args=(url, started))
        creator.start()
        assert started.wait(120)  # imported: the random delay counts from the start of the creation
        time.sleep(rng.uniform(0.0, 0.4))
        creator.kill()  # SIGKILL
        creator.join()
        db = sqlite_path(url)
        assert db is not None
        state = sqlite_state(db)
        half_made += state is not None and bool(state.tables) and bool(problems(db))

        with caplog.at_level(logging.WARNING, logger="forge_core.tuning.study"):
            storage = open_storage(url)
        study = optuna.create_study(storage=storage, study_name="after", load_if_exists=True)
        study.optimize(quadratic, n_trials=1)
        assert len(study.get_trials()) == 1 and problems(db) == []
    repairs = [r for r in caplog.records if "was left half-created" in r.getMessage()]
    assert len(repairs) == half_made
    print(f"{half_made} of {KILLS} kills left the storage half-made")
