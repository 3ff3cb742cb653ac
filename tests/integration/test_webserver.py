"""The real Dagster webserver loads the workspace and serves the asset graph, checks and job over GraphQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from forge_jobs.instance import embedded_dagster_home
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
WEBSERVER = Path(sys.executable).with_name("dagster-webserver")
QUERY = """
{
  assetNodes { assetKey { path } groupName isPartitioned hasAssetChecks }
  repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } }
}
"""


def post_graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


@pytest.fixture
def webserver(forge_home: Path) -> Iterator[int]:
    """dagster-webserver on the repository's workspace.yaml and the embedded instance, in its own process group."""
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(embedded_dagster_home())}
    server = subprocess.Popen(
        [str(WEBSERVER), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, f"webserver exited: {server.stderr.read().decode()[-2000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("dagster-webserver did not answer within 90 s")
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


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
