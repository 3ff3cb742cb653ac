"""Postgres restarted under a baselines run whose Dagster instance (runs, event log) and MLflow store (runs and
registry) both live on it: the run rides the restart out, every window's forecasts are stored whole or not at all,
and MLflow keeps exactly one run and one registered version per stored fit; tracking calls retry while the store
is away, never create a run or a version twice, fail in one line when the store stays away, and a window that is
not written keeps nothing in MLflow (``discard_on_failure``).

A private PostgreSQL cluster is made for the module (``initdb`` in a temporary folder, 127.0.0.1:5445; as root its
programs run as user postgres) and restarted; the shared server is never touched. The whole scenario, with
outages longer than Dagster's connection retries, restarts during Dagster's event writes and re-runs compared
with an unbroken run, is ``python benchmarks/faults.py --scenarios postgres-restart``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psycopg2
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import TEMPORARILY_UNAVAILABLE

from benchmarks.faults import PrivatePostgres, _finish, _forecasts, _launch, _mlflow, _place, _wait_for
from forge_core.data.bundled import BundledSource
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, purged_training_rows
from forge_core.market_tables import build_market_tables
from forge_core.models import ForecastTask, create_model
from forge_core.models.base import VolatilityModel
from forge_core.models.registry import families
from forge_core.targets import parse_targets
from forge_core.tracking import (
    FitRecord,
    TrackingConfig,
    TrackingUnavailable,
    discard_on_failure,
    log_fit,
    register_fit,
    registered_name,
    store_retry,
    tracking_client,
)
from forge_core.warehouse.connection import open_warehouse

pytestmark = pytest.mark.slow

PORT = 5445  # not the benchmark's 5444, so both can run at once
SPECS = parse_targets("rv_5d=5")  # the benchmark's span: PG_SPAN in benchmarks/faults.py
WINDOW = (dt.date(2015, 1, 1), dt.date(2015, 2, 1))


@pytest.fixture(scope="module")
def pg() -> Iterator[PrivatePostgres]:
    with PrivatePostgres(port=PORT) as server:
        yield server


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The market tables of 2011-2015 (bundled data, target rv_5d), built directly, as market_data_job does."""
    path = tmp_path_factory.mktemp("market") / "warehouse.duckdb"
    with open_warehouse(path) as conn:
        build_market_tables(conn, BundledSource().load(dt.date(2011, 1, 3), dt.date(2015, 12, 31)), SPECS)
    return path


@pytest.fixture(scope="module")
def model(market: Path) -> VolatilityModel:
    """An ewma fitted on the S&P 500's purged rows before WINDOW."""
    with open_warehouse(market, read_only=True) as conn:
        panel = load_panel(conn, SPECS[0], WINDOW[1])
    history = panel[panel["symbol"] == "^GSPC"].reset_index(drop=True)
    train = purged_training_rows(history, WINDOW[0], TrainingScheme())
    return create_model("ewma", ForecastTask(5, "parkinson")).fit(train, train["target_value"])


def config_for(pg: PrivatePostgres, name: str, artifacts: Path) -> TrackingConfig:
    """A new MLflow store in database ``name``, its artifacts under ``artifacts``."""
    url = pg.url(pg.create_database(name))
    return TrackingConfig(url, url, artifacts.as_uri())


def log(config: TrackingConfig, model: VolatilityModel, symbol: str) -> FitRecord:
    return log_fit(
        config,
        model=model,
        target="rv_5d",
        symbol=symbol,
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        trained_through=dt.date(2014, 12, 31),
        train_rows=900,
        features=None,
        metrics={"fit_seconds": 0.01},
        epoch_history=None,
        code_version="test",
    )


def log_and_register(config: TrackingConfig, model: VolatilityModel, symbol: str) -> int:
    return register_fit(config, log(config, model, symbol), registered_name("rv_5d", "ewma"))


def live_runs_and_versions(config: TrackingConfig) -> tuple[list[str], list[int]]:
    """The runs and the version numbers of rv_5d-ewma that are not deleted."""
    client = MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.registry_uri)
    runs = [r.info.run_id for e in client.search_experiments() for r in client.search_runs([e.experiment_id])]
    found = client.search_model_versions(f"name = '{registered_name('rv_5d', 'ewma')}'")
    return runs, sorted(int(v.version) for v in found)


def test_a_restart_during_mlflow_logging_is_ridden_out(
    pg: PrivatePostgres, market: Path, tmp_path: Path
) -> None:
    place = _place(pg, tmp_path, "run", market)
    log_file = tmp_path / "run.log"
    child = _launch(place, "baselines_job", log_file)
    assert _wait_for(pg, place, "mlflow:1", 20, child), log_file.read_text()[-4000:]  # mid second step
    pg.restart()
    code, hung = _finish(child)
    output = log_file.read_text()
    assert not hung and code == 0, output[-4000:]
    assert "Traceback" not in output and "Stack Trace" not in output  # MLflow's handled errors stay quiet

    forecasts = _forecasts(place.warehouse)
    keys = ["symbol", "date", "target", "model"]
    assert not forecasts.duplicated(keys).any()
    days = forecasts.groupby("window_start")["date"].nunique()
    per_window = forecasts.groupby(["model", "window_start"]).agg(
        rows=("date", "size"), symbols=("symbol", "nunique")
    )
    # every baseline family x the six windows, each whole: its symbols x the window's days
    assert len(per_window) == len(families("baselines")) * 6
    expected = (
        per_window["symbols"] * days.reindex(per_window.index.get_level_values("window_start")).to_numpy()
    )
    assert (per_window["rows"] == expected).all()

    fits = set(map(tuple, forecasts[["model", "window_start", "symbol"]].drop_duplicates().to_numpy()))
    runs, versions = _mlflow(pg, place)
    assert len(runs) == len(versions) == len(fits)  # one run and one version per stored fit, none twice
    assert all(run["status"] == "FINISHED" and not run["deleted"] for run in runs)
    assert {(v["window"], v["symbol"]) for v in versions} == {
        (f"rv_5d|{m}|{pd.Timestamp(w).date()}", s) for m, w, s in fits
    }


def test_tracking_waits_out_an_outage(pg: PrivatePostgres, model: VolatilityModel, tmp_path: Path) -> None:
    config = config_for(pg, "outage", tmp_path)
    log_and_register(config, model, "^GSPC")  # the store made before the outage

    def outage() -> None:
        pg.stop()
        time.sleep(3)
        pg.start()

    started = time.monotonic()
    away = threading.Thread(target=outage)
    away.start()
    try:
        versions = [log_and_register(config, model, f"S{i}") for i in range(4)]
    finally:
        away.join()
    assert time.monotonic() - started >= 3  # it did wait for the server
    assert versions == [2, 3, 4, 5]
    runs, registered = live_runs_and_versions(config)
    assert len(runs) == len(registered) == 5


def test_a_lost_reply_creates_no_second_run_or_version(
    pg: PrivatePostgres, model: VolatilityModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A call that succeeded but whose reply was lost (the connection dropped after the commit) is not repeated:
    the retry finds what it created."""
    config = config_for(pg, "lost_reply", tmp_path)
    tracking_client(config)
    for method in ("create_run", "create_model_version"):
        real = getattr(MlflowClient, method)
        lost = {"done": False}

        def once_lost(self: MlflowClient, *args: object, _real=real, _lost=lost, **kwargs: object) -> object:
            result = _real(self, *args, **kwargs)
            if not _lost["done"]:
                _lost["done"] = True
                lost_connection = psycopg2.OperationalError("server closed the connection unexpectedly")
                raise MlflowException(
                    str(lost_connection), error_code=TEMPORARILY_UNAVAILABLE
                ) from lost_connection
            return result

        monkeypatch.setattr(MlflowClient, method, once_lost)
    assert log_and_register(config, model, "^GSPC") == 1
    runs, versions = live_runs_and_versions(config)
    assert len(runs) == 1 and versions == [1]


def test_a_store_that_stays_away_fails_in_one_line(
    pg: PrivatePostgres, model: VolatilityModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = config_for(pg, "away", tmp_path)
    log_and_register(config, model, "^GSPC")
    monkeypatch.setattr(store_retry, "RETRY_S", 2.0)
    pg.stop()
    try:
        started = time.monotonic()
        with pytest.raises(TrackingUnavailable) as failed:
            log(config, model, "^IXIC")
        assert time.monotonic() - started < 10
    finally:
        pg.start()
    message = str(failed.value)
    assert "\n" not in message and "unreachable for" in message
    assert f"127.0.0.1:{PORT}/away" in message and "Connection refused" in message


def test_a_window_not_written_keeps_nothing_in_mlflow(
    pg: PrivatePostgres, model: VolatilityModel, tmp_path: Path
) -> None:
    config = config_for(pg, "discard", tmp_path)
    log_and_register(config, model, "^GSPC")  # an earlier window, written: kept
    with pytest.raises(RuntimeError, match="the write failed"), discard_on_failure():
        log_and_register(config, model, "^IXIC")
        log_and_register(config, model, "^VIX")
        raise RuntimeError("the write failed")
    runs, versions = live_runs_and_versions(config)
    assert len(runs) == 1 and versions == [1]
    with discard_on_failure():  # nothing raised: nothing discarded
        log_and_register(config, model, "^IXIC")
    runs, versions = live_runs_and_versions(config)
    assert len(runs) == 2 and versions == [1, 4]
