"""The real Dagster webserver loads the workspace and serves the asset graph, checks and job over GraphQL; a run the
demo launched belongs to the code location, so the webserver re-executes it as the UI's "Re-execute" does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
QUERY = """
{
  assetNodes { assetKey { path } groupName isPartitioned hasAssetChecks }
  repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } }
}
"""


def post_graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # a loaded 2-core box is slow
        return json.load(response)["data"]


@pytest.fixture
def webserver(forge_home: Path) -> Iterator[int]:
    with serving() as port:
        yield port


@contextmanager
def serving() -> Iterator[int]:
    """``make ui`` (``forge_jobs.ui``: dagster-webserver and dagster-daemon on the repository's workspace.yaml and
    the embedded instance, FORGE_HOME's) in its own process group; the webserver's port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    ui = subprocess.Popen(
        [sys.executable, "-m", "forge_jobs.ui", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert ui.poll() is None, f"the UI exited: {ui.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("dagster-webserver did not answer within 120 s")
        yield port
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=30)


def test_the_webserver_serves_the_asset_graph_of_the_workspace(webserver: int) -> None:
    data = post_graphql(webserver, QUERY)
    assets = {"/".join(node["assetKey"]["path"]): node for node in data["assetNodes"]}
    market = {"raw_prices", "daily_features", "targets"}
    assert market | {"har_forecasts", "gjr_garch_forecasts", "backtest_report"} <= set(assets)
    assert all(
        assets[name]["groupName"] == "market_data" and assets[name]["isPartitioned"] for name in market
    )
    assert all(node["hasAssetChecks"] for name, node in assets.items() if name.endswith("_forecasts"))
    assert {"lstm_forecasts", "lstm_hyperparameters", "transformer_forecasts"} <= set(assets)
    (repository,) = data["repositoriesOrError"]["nodes"]
    assert {"market_data_job", "baselines_job", "backtest_report_job"} <= {
        job["name"] for job in repository["jobs"]
    }


RUNS = """
query ($job: String!, $repository: String!) {
  runsOrError(filter: {pipelineName: $job, tags: [{key: ".dagster/repository", value: $repository}]}) {
    ... on Runs { results { runId status parentRunId repositoryOrigin { repositoryLocationName repositoryName } } }
  }
}
"""
REEXECUTE = """
mutation ($parent: String!, $strategy: ReexecutionStrategy!) {
  launchPipelineReexecution(reexecutionParams: {parentRunId: $parent, strategy: $strategy}) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
STATUS = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def _wait_for(port: int, run_id: str) -> str:
    """The run's final status, polled through GraphQL."""
    deadline = time.monotonic() + 300
    while (status := post_graphql(port, STATUS, {"id": run_id})["runOrError"]["status"]) not in FINISHED:
        assert time.monotonic() < deadline, f"run {run_id} still {status} after 300 s"
        time.sleep(1)
    return str(status)


def _prices(days: int, bad_row: int | None) -> str:
    """A CSV of one symbol's daily bars in 2024 (a seeded random walk); the ``bad_row``-th bar (the file's row
    ``bad_row + 1``) has its high below its low."""
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2024-01-02", periods=days)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    frame = pd.DataFrame(
        {"symbol": "AAA", "date": dates.date, "open": close, "high": close * 1.01, "low": close * 0.99,
         "close": close, "volume": 1000}
    )  # fmt: skip
    if bad_row is not None:
        frame.loc[bad_row - 1, "high"] = frame.loc[bad_row - 1, "low"] * 0.9
    return frame.to_csv(index=False)


def test_a_failed_demo_run_re_executes_from_failure_once_its_input_is_fixed(
    forge_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo run failed on a bad row of the user's file; the file fixed, "Re-execute from failure" through
    GraphQL runs the failed step and those after it, and succeeds."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a.csv").write_text(_prices(240, bad_row=100))
    monkeypatch.setenv("FORGE_SOURCE", "files")
    monkeypatch.setenv("FORGE_FILES_PATH", str(folder))
    demo = [sys.executable, "-m", "forge_jobs.demo", "--no-live"]
    done = subprocess.run(demo, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "a.csv, row 101" in done.stderr, done.stderr[-3000:]
    (folder / "a.csv").write_text(_prices(240, bad_row=None))
    with serving() as port:
        filter_ = {"job": "market_data_job", "repository": "__repository__@volatilityforge"}
        (parent,) = post_graphql(port, RUNS, filter_)["runsOrError"]["results"]
        assert parent["status"] == "FAILURE"
        launched = post_graphql(port, REEXECUTE, {"parent": parent["runId"], "strategy": "FROM_FAILURE"})
        reply = launched["launchPipelineReexecution"]
        assert reply["__typename"] == "LaunchRunSuccess", reply
        assert _wait_for(port, reply["run"]["runId"]) == "SUCCESS"


def test_a_demo_run_belongs_to_the_code_location_and_re_executes(forge_home: Path) -> None:
    """The demo's market data run (one year) carries the location's origin, is listed under the job with the
    repository filter the Jobs page uses, and "Re-execute all" through GraphQL launches a run that succeeds."""
    demo = [
        sys.executable,
        "-m",
        "forge_jobs.demo",
        "--start",
        "2018-01-01",
        "--end",
        "2018-12-31",
        "--no-live",
    ]
    done = subprocess.run(demo, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with serving() as port:
        filter_ = {"job": "market_data_job", "repository": "__repository__@volatilityforge"}
        (parent,) = post_graphql(port, RUNS, filter_)["runsOrError"]["results"]
        assert parent["status"] == "SUCCESS"
        assert parent["repositoryOrigin"] == {
            "repositoryLocationName": "volatilityforge",
            "repositoryName": "__repository__",
        }
        launched = post_graphql(port, REEXECUTE, {"parent": parent["runId"], "strategy": "ALL_STEPS"})
        reply = launched["launchPipelineReexecution"]
        assert reply["__typename"] == "LaunchRunSuccess", reply
        child = reply["run"]["runId"]
        assert _wait_for(port, child) == "SUCCESS"
        runs = post_graphql(port, RUNS, filter_)["runsOrError"]["results"]
    assert {run["runId"]: run["parentRunId"] for run in runs} == {
        parent["runId"]: None,
        child: parent["runId"],
    }
