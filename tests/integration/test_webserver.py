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
    with urllib.request.urlopen(request, timeout=10) as response:
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
        deadline = time.monotonic() + 300
        while (status := post_graphql(port, STATUS, {"id": child})["runOrError"]["status"]) not in FINISHED:
            assert time.monotonic() < deadline, f"re-executed run {child} still {status} after 300 s"
            time.sleep(1)
        assert status == "SUCCESS"
        runs = post_graphql(port, RUNS, filter_)["runsOrError"]["results"]
    assert {run["runId"]: run["parentRunId"] for run in runs} == {
        parent["runId"]: None,
        child: parent["runId"],
    }
