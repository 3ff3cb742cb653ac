"""Parallel steps opening a fresh MLflow store at once: one makes the schema, all log and register."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import postgres_url, throwaway_database

WORKER = """
import sys
from forge_core.tracking import FitRecord, TrackingConfig, default_tracking_config, register_fit, tracking_client
from forge_core.tracking.fits import experiment_id

config = default_tracking_config()
if sys.argv[1]:
    config = TrackingConfig(sys.argv[1], sys.argv[1], config.artifact_root)
client = tracking_client(config)
exp = experiment_id(client, config, "rv_1d")
run = client.create_run(exp).info.run_id
print("VERSION", register_fit(config, FitRecord(run, exp, f"runs:/{run}/model"), "rv_1d-ewma"))
"""
WORKERS = 2
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["sqlite", "postgres"])
def store_uri(request: pytest.FixtureRequest) -> Iterator[str]:
    """Empty for the default SQLite store under FORGE_HOME, else a throwaway Postgres database."""
    if request.param == "sqlite":
        yield ""
        return
    with throwaway_database("mlflow_test") as name:
        yield postgres_url(name)


def test_parallel_processes_share_a_fresh_store(store_uri: str) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, store_uri],
            cwd=REPO,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS, outputs
    lines = [line.split() for out in outputs for line in out.splitlines()]
    versions = sorted(int(words[1]) for words in lines if words and words[0] == "VERSION")
    assert versions == list(range(1, WORKERS + 1))
