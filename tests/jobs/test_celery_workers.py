"""Steps on Celery workers: two real workers (``dagster-celery worker start``) on the local Redis broker, the
repository's dagster.yaml on a throwaway Postgres database, MLflow on another. A walk-forward backfill of three
monthly windows (two baselines; two nets in the ``gpu`` pool, the MLP with and without the VIX; two ensembles in
the ``warehouse`` pool) launched from the CLI with ``FORGE_EXECUTOR=celery`` runs its steps on both workers, never
two steps of one pool at once, and stores the same forecasts as an in-process run of the same selection on a copy
of the warehouse.

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (CI starts both); fails without them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import redis
from dagster import AssetKey, DagsterEventType, DagsterInstance

from forge_core.data.synthetic import SyntheticSource
from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.tuning.tuned_params import TunedParams, save_tuned_params
from forge_core.warehouse.connection import open_warehouse
from forge_jobs.definitions import build_definitions
from tests.conftest import postgres_instance, postgres_url, throwaway_database

REPO = Path(__file__).parents[2]
BROKER_DB = 7  # a Redis database of its own, emptied before and after
BROKER = f"redis://127.0.0.1:6379/{BROKER_DB}"
SELECTION = (
    "har_forecasts",
    "log_har_forecasts",
    "mlp_forecasts",
    "mlp_without_vix_forecasts",
    "ensemble_equal_forecasts",
    "ensemble_inverse_qlike_forecasts",
)
POOLS = {"gpu": ("mlp_forecasts", "mlp_without_vix_forecasts"), "warehouse": SELECTION[4:]}
FIRST, LAST = "rv_1d|2019-01-01", "rv_1d|2019-03-01"
FAST_NETS = {"epochs": 3, "hidden": 8}
WORKERS = ("forge-w1", "forge-w2")


@pytest.fixture
def broker() -> Iterator[str]:
    client = redis.Redis(host="127.0.0.1", port=6379, db=BROKER_DB)
    client.flushdb()
    yield BROKER
    client.flushdb()


def build_warehouse(path: Path) -> None:
    """Two synthetic symbols 2016-2019, and 'tuned' parameters that keep the nets small (the real mechanism a
    window's parameters come through)."""
    source = SyntheticSource(2, seed=7, start=dt.date(2016, 1, 4), today=dt.date(2019, 12, 31))
    with open_warehouse(path) as conn:
        build_market_tables(
            conn, source.load(dt.date(2016, 1, 4), dt.date(2019, 12, 31)), DEFAULT_TARGETS[:1]
        )
        save_tuned_params(
            conn, TunedParams("mlp", "rv_1d", FAST_NETS, dt.date(2018, 12, 1), 0.0, 0, "celery-test")
        )


def environment(tmp_path: Path, dagster_db: str, mlflow_db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORGE_", "DAGSTER_", "MLFLOW_"))}
    env.update(
        postgres_instance(tmp_path / "dagster_home", dagster_db),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # the CLI starts `celery`
        PYTHONPATH=str(REPO),
        FORGE_HOME=str(tmp_path / "forge"),
        FORGE_END_DATE="2019-12-31",  # the warehouse's market, not the bundled source's span
        FORGE_WAREHOUSE=str(tmp_path / "forge" / "warehouse.duckdb"),
        FORGE_MLFLOW_TRACKING_URI=postgres_url(mlflow_db),
        FORGE_EXECUTOR="celery",
        FORGE_CELERY_BROKER=BROKER,
        FORGE_CELERY_BACKEND=BROKER,
        FORGE_DEVICE="cpu",
        FORGE_MODEL_VARIANTS="mlp_without_vix",  # a second net in the gpu pool, with the mlp's tuning
    )
    return env


def start_workers(env: dict[str, str], log_dir: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for name in WORKERS:
        log = (log_dir / f"{name}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "dagster-celery"),
                    "worker",
                    "start",
                    "-A",
                    "dagster_celery.app",
                    "-y",
                    str(REPO / "deploy" / "celery.yaml"),
                    "-n",
                    f"{name}@%h",
                    "--",
                    "--concurrency",
                    "1",
                    "--pool",
                    "prefork",
                ],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


def wait_for_workers(env: dict[str, str], timeout_s: float = 300.0) -> None:
    """Until both workers answer a ping through the broker (each imports the code location: on two busy cores
    one took over two minutes to answer once)."""
    ends = time.monotonic() + timeout_s
    while time.monotonic() < ends:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "dagster_celery.app",
                "-b",
                BROKER,
                "inspect",
                "ping",
                "--timeout",
                "2",
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if all(name in done.stdout for name in WORKERS):
            return
        time.sleep(1)
    raise AssertionError(f"the Celery workers did not come up: {done.stdout} {done.stderr}")


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, 15)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)


def forecasts(path: Path) -> pd.DataFrame:
    with open_warehouse(path, read_only=True) as conn:
        frame = conn.execute(
            "SELECT symbol, date, target, model, forecast, q05, q95 FROM forecasts ORDER BY ALL"
        ).df()
    return frame


def step_spans(
    instance: DagsterInstance, run_id: str
) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """Per step: (start, end) timestamps; and the Celery worker each step ran on."""
    spans: dict[str, list[float]] = {}
    hosts = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or record.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            spans.setdefault(record.step_key, [record.timestamp, 0.0])[0] = record.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            spans.setdefault(record.step_key, [0.0, 0.0])[1] = record.timestamp
        elif event.event_type == DagsterEventType.ENGINE_EVENT and "Celery worker" in (
            event.engine_event_data.metadata or {}
        ):
            hosts[record.step_key] = str(event.engine_event_data.metadata["Celery worker"].value)
    return {k: (a, b) for k, (a, b) in spans.items()}, hosts


def overlapping(spans: list[tuple[float, float]]) -> bool:
    ordered = sorted(spans)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ordered))


def test_a_backfill_runs_on_two_celery_workers_within_its_pools(
    tmp_path: Path, broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        throwaway_database("forge_celery") as dagster_db,
        throwaway_database("forge_celery_mlflow") as mlflow_db,
    ):
        env = environment(tmp_path, dagster_db, mlflow_db)
        warehouse = Path(env["FORGE_WAREHOUSE"])
        build_warehouse(warehouse)
        in_process = tmp_path / "in_process" / "warehouse.duckdb"
        in_process.parent.mkdir()
        shutil.copy(warehouse, in_process)
        workers = start_workers(env, tmp_path)
        try:
            wait_for_workers(env)
            started = time.monotonic()
            done = subprocess.run(
                [
                    str(Path(sys.executable).parent / "dagster"),
                    "asset",
                    "materialize",
                    "-m",
                    "forge_jobs.definitions",
                    "--select",
                    ",".join(SELECTION),
                    "--partition-range",
                    f"{FIRST}...{LAST}",
                ],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            elapsed = time.monotonic() - started
        finally:
            stop(workers)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with DagsterInstance.get() as instance:
            (run,) = instance.get_runs()
            assert run.is_success
            spans, hosts = step_spans(instance, run.run_id)
        assert set(spans) == set(SELECTION) and set(hosts) == set(SELECTION)
        assert {host.split("@")[0] for host in hosts.values()} == set(WORKERS), (
            hosts
        )  # both workers ran steps
        for pool, steps in POOLS.items():
            assert not overlapping([spans[s] for s in steps]), f"two {pool} steps at once: {spans}"
        assert overlapping([spans[s] for s in SELECTION[:2]])  # steps outside a pool did run side by side
        celery = forecasts(warehouse)

        for name in ("FORGE_EXECUTOR", "FORGE_CELERY_BROKER", "FORGE_CELERY_BACKEND", "DAGSTER_HOME"):
            monkeypatch.delenv(name)
        monkeypatch.setenv("FORGE_WAREHOUSE", str(in_process))
        job = build_definitions().resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(  # the same selection, every step in this process
            asset_selection=[AssetKey(name) for name in SELECTION],
            tags={"dagster/asset_partition_range_start": FIRST, "dagster/asset_partition_range_end": LAST},
        )
        assert result.success
    reference = forecasts(in_process)
    assert set(celery["model"]) == {
        "har",
        "log_har",
        "mlp",
        "mlp_without_vix",
        "ensemble_equal",
        "ensemble_inverse_qlike",
    }
    merged = celery.merge(reference, on=["symbol", "date", "target", "model"], suffixes=("", "_ref"))
    differs = merged.loc[(merged["forecast"] / merged["forecast_ref"] - 1).abs() > 1e-9]
    assert differs.empty, differs.groupby("model").size().to_dict()
    pd.testing.assert_frame_equal(celery, reference, rtol=1e-9)
    print(f"celery backfill: {elapsed:.1f}s, steps on {sorted(set(hosts.values()))}")
