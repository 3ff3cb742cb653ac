"""Two processes optimising one study stored in Postgres at the same time."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import optuna
from optuna.trial import TrialState

from forge_core.tuning import open_storage

WORKER = """
import os, sys, time
from forge_core.tuning import open_study

url, name, n_trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
study = open_study(url, name, seed=os.getpid())

def objective(trial):
    trial.set_user_attr("pid", os.getpid())
    time.sleep(0.05)  # long enough for the two workers' trials to interleave
    return trial.suggest_float("x", -1.0, 1.0) ** 2

study.optimize(objective, n_trials=n_trials)
"""
N_TRIALS = 6
REPO = Path(__file__).resolve().parents[3]


def test_two_processes_share_one_postgres_study(postgres_url: str) -> None:
    name = f"shared-{uuid.uuid4().hex[:8]}"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, postgres_url, name, str(N_TRIALS)],
            cwd=REPO,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    storage = open_storage(postgres_url)
    trials = optuna.load_study(study_name=name, storage=storage).get_trials()
    assert len(trials) == 2 * N_TRIALS and all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(t.number for t in trials) == list(range(2 * N_TRIALS))
    by_pid = {pid: sum(t.user_attrs["pid"] == pid for t in trials) for pid in (w.pid for w in workers)}
    assert by_pid == {workers[0].pid: N_TRIALS, workers[1].pid: N_TRIALS}
    storage.engine.dispose()  # release the connections before the database is dropped
