"""A registered live set is an MLflow model: ``mlflow.pyfunc.load_model("models:/...@champion")`` predicts what
``ForecastServer`` serves, and the real ``mlflow models serve`` answers ``/invocations`` with the same numbers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import mlflow
import pandas as pd

from forge_core.live.daily_publication import day_histories
from forge_core.live.registry import assign_roles, live_model_name, register_set
from forge_core.live.serving import ForecastServer
from forge_core.tracking import default_tracking_config
from tests.conftest import free_port
from tests.core.live.conftest import SPEC, live_fit

DAY = dt.date(2018, 3, 1)
SERVED = ["symbol", "date", "forecast", "raw_forecast", "lower_90", "upper_90", "skewed"]
START_S = 180


def test_the_champion_loads_and_serves_as_an_mlflow_model(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    config = default_tracking_config()
    fit = live_fit(warehouse)  # two families and their equal-weight ensemble
    assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    server = ForecastServer.load(config, [SPEC.name])
    needed = server.sets[SPEC.name].fitted.rows_needed()
    histories = day_histories(warehouse, SPEC, DAY, (), needed)
    expected = server.forecast_histories(SPEC.name, histories)[SERVED]
    features = pd.concat(histories.values(), ignore_index=True)

    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_registry_uri(config.registry_uri)
    uri = f"models:/{live_model_name(SPEC.name)}@champion"
    model = mlflow.pyfunc.load_model(uri)
    assert [c.name for c in model.metadata.get_input_schema().inputs][:2] == ["symbol", "date"]
    pd.testing.assert_frame_equal(model.predict(features)[SERVED], expected)

    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": config.tracking_uri,
        "MLFLOW_REGISTRY_URI": config.registry_uri,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # its uvicorn, as activated
    }
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [str(Path(sys.executable).parent / "mlflow"), "models", "serve", "-m", uri, "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, f"mlflow models serve did not answer on port {port}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(1)
        payload = {
            "dataframe_split": json.loads(features.to_json(orient="split", date_format="iso", index=False))
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            answered = pd.DataFrame(json.load(reply)["predictions"])
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, 15)
        serve.wait(timeout=30)
        log.close()
    assert answered["symbol"].tolist() == expected["symbol"].tolist()
    for column in ("forecast", "raw_forecast", "lower_90", "upper_90"):
        pd.testing.assert_series_equal(answered[column], expected[column].reset_index(drop=True), rtol=1e-12)
