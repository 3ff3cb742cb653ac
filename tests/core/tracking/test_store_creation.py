"""Creating the MLflow SQLite store safely: four processes at once, and the next start after a kill.

The processes are started from a forkserver that has imported this module once (forge_core imports torch,
which takes each fresh interpreter seconds on two cores); every one is still a new process that opens the
store on its own, as separate commands do.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import sqlite3
import time
import traceback
from multiprocessing.context import ForkServerContext
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from mlflow.store.db import utils as mlflow_db
from mlflow.store.db.base_sql_model import Base as MlflowModels
from mlflow.store.tracking.dbmodels.initial_models import Base as InitialModels

from forge_core.forecasting.walk_forward import TrainingScheme, purged_training_rows
from forge_core.models import ForecastTask, create_model
from forge_core.state_stores import schema_problems, sqlite_path, sqlite_state
from forge_core.tracking import FitRecord, default_tracking_config, log_fit, tracking_client
from forge_core.tracking.fits import experiment_id

WORKERS = 4
BEFORE_PARAMS_BATCH = "0c779009ac13"  # the revision before cc1f77228345 alters params in batch mode
WINDOW = (dt.date(2019, 1, 1), dt.date(2019, 2, 1))


def forkserver() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def create_and_log(forge_home: str, go: Event, results: Queue[tuple[str, str]]) -> None:
    """Wait for ``go``, then open the default store (making it if needed) and log a finished run."""
    os.environ["FORGE_HOME"] = forge_home  # the forkserver's environment is that of the test that started it
    go.wait(120)
    try:
        config = default_tracking_config()
        client = tracking_client(config)
        run = client.create_run(experiment_id(client, config, "rv_1d")).info.run_id
        client.set_terminated(run, "FINISHED")
        results.put(("run", run))
    except BaseException:
        results.put(("error", traceback.format_exc()))
        raise


def create_store(forge_home: str) -> None:
    os.environ["FORGE_HOME"] = forge_home
    tracking_client(default_tracking_config())


def mlflow_problems(db: Path) -> list[str]:
    state = sqlite_state(db)
    assert state is not None
    return schema_problems(state, MlflowModels.metadata.tables, mlflow_db._get_latest_schema_revision())


def log_a_fit(panel: pd.DataFrame) -> FitRecord:
    """An EWMA fit of SYN000 logged to the default store."""
    history = panel[(panel["symbol"] == "SYN000") & (panel["date"] < pd.Timestamp(WINDOW[1]))]
    train = purged_training_rows(history.reset_index(drop=True), WINDOW[0], TrainingScheme())
    model = create_model("ewma", ForecastTask(1, "parkinson")).fit(train, train["target_value"])
    return log_fit(
        default_tracking_config(),
        model=model,
        target="rv_1d",
        symbol="SYN000",
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        trained_through=dt.date(2018, 12, 31),
        train_rows=len(train),
        features=None,
        metrics={"qlike": 0.25},
        epoch_history=None,
        code_version="test",
    )


def half_built_store(db: Path, *, with_data: bool) -> None:
    """What a kill during cc1f77228345 leaves: MLflow's migrations up to the one before it, and the
    ``_alembic_tmp_params`` copy its batch alter had made (13 tables); ``with_data`` adds an experiment and a run."""
    uri = f"sqlite:///{db}"
    db.parent.mkdir(parents=True, exist_ok=True)
    engine = mlflow_db.create_sqlalchemy_engine(uri)
    InitialModels.metadata.create_all(engine)
    config = mlflow_db._get_alembic_config(uri)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, BEFORE_PARAMS_BATCH)
    engine.dispose()
    with sqlite3.connect(db) as conn:
        if with_data:
            conn.execute("INSERT INTO experiments VALUES (1, 'kept', '/tmp/kept', 'active')")
            conn.execute(
                "INSERT INTO runs (run_uuid, name, user_id, status, start_time, lifecycle_stage, experiment_id,"
                " source_type) VALUES ('r1', 'kept-run', 'ci', 'FINISHED', 0, 'active', 1, 'LOCAL')"
            )
            conn.execute("INSERT INTO params VALUES ('alpha', '0.94', 'r1')")
        conn.execute("CREATE TABLE _alembic_tmp_params AS SELECT * FROM params WHERE 0")
    conn.close()


def test_four_processes_create_a_fresh_store_together(forge_home: Path) -> None:
    context = forkserver()
    go, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=create_and_log, args=(str(forge_home), go, results)) for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    go.set()  # all at once
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [kind for kind, _ in outcomes] == ["run"] * WORKERS, outcomes
    assert [worker.exitcode for worker in workers] == [0] * WORKERS

    config = default_tracking_config()
    db = sqlite_path(config.tracking_uri)
    assert db is not None and mlflow_problems(db) == []
    client = tracking_client(config)
    (experiment,) = [e for e in client.search_experiments() if e.name == "volatilityforge/rv_1d"]
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(run.info.run_id for run in runs) == sorted(run_id for _, run_id in outcomes)
    assert not list(db.parent.glob("broken-*"))  # nothing was left half-made


def test_a_store_half_built_by_a_killed_migration_is_rebuilt(
    panels: dict[str, pd.DataFrame], caplog: pytest.LogCaptureFixture
) -> None:
    db = sqlite_path(default_tracking_config().tracking_uri)
    assert db is not None
    half_built_store(db, with_data=False)
    assert any("_alembic_tmp_params" in problem for problem in mlflow_problems(db))

    with caplog.at_level(logging.WARNING, logger="forge_core.tracking.fits"):
        record = log_a_fit(panels["rv_1d"])
    (line,) = [r.getMessage() for r in caplog.records if "half-created" in r.getMessage()]
    (backup,) = db.parent.glob("broken-*")
    assert str(db) in line and str(backup) in line and "_alembic_tmp_params" in line
    assert (backup / "mlflow.db").is_file()  # moved aside, not deleted
    assert mlflow_problems(db) == []
    assert tracking_client(default_tracking_config()).get_run(record.run_id).info.status == "FINISHED"


def test_a_half_migrated_store_with_runs_is_migrated_in_place(
    panels: dict[str, pd.DataFrame], caplog: pytest.LogCaptureFixture
) -> None:
    db = sqlite_path(default_tracking_config().tracking_uri)
    assert db is not None
    half_built_store(db, with_data=True)

    with caplog.at_level(logging.WARNING, logger="forge_core.tracking.fits"):
        client = tracking_client(default_tracking_config())
    messages = [r.getMessage() for r in caplog.records]
    assert any("holds data: repairing it in place" in m for m in messages), messages
    assert any(m.startswith("Repaired the MLflow store") for m in messages), messages
    assert not list(db.parent.glob("broken-*")) and mlflow_problems(db) == []
    kept = client.get_run("r1")
    assert (kept.info.run_name, kept.data.params) == ("kept-run", {"alpha": "0.94"})
    assert client.get_run(log_a_fit(panels["rv_1d"]).run_id).info.status == "FINISHED"


def test_the_next_start_after_a_kill_during_creation_repairs_the_store(
    forge_home: Path, panels: dict[str, pd.DataFrame], caplog: pytest.LogCaptureFixture
) -> None:
    """A real SIGKILL: the creating process is killed once MLflow's migrations are part-way through."""
    db = sqlite_path(default_tracking_config().tracking_uri)
    assert db is not None
    creator = forkserver().Process(target=create_store, args=(str(forge_home),))
    creator.start()
    try:
        deadline = time.monotonic() + 120
        while True:
            assert creator.is_alive(), "the store was made before it could be killed"
            assert time.monotonic() < deadline, "MLflow never started its migrations"
            try:
                state = sqlite_state(db)
            except sqlite3.Error:  # busy: the creator is writing
                state = None
            if state is not None and len(state.tables) >= 12 and state.versions:  # mid-way through the chain
                break
            time.sleep(0.01)
    finally:
        creator.kill()  # SIGKILL
        creator.join()
    assert mlflow_problems(db) != []

    with caplog.at_level(logging.WARNING, logger="forge_core.tracking.fits"):
        record = log_a_fit(panels["rv_1d"])
    assert any("was left half-created" in r.getMessage() for r in caplog.records)
    assert mlflow_problems(db) == []
    assert tracking_client(default_tracking_config()).get_run(record.run_id).info.status == "FINISHED"
