"""``optuna-dashboard`` (the ``dashboard`` extra) on the tuning storage: the real dashboard server starts on a
local port and lists the study a tuning run wrote there."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd

from forge_core.tuning import default_storage_url
from tests.conftest import free_port
from tests.core.tuning.test_tuning import run

START_S = 120


def test_the_dashboard_lists_a_study_of_the_tuning_storage(panel: pd.DataFrame, tmp_path: Path) -> None:
    result = run(panel, "ewma-dashboard", 3)
    port = free_port()
    dashboard = Path(sys.executable).parent / "optuna-dashboard"
    log = (tmp_path / "dashboard.log").open("w")
    server = subprocess.Popen(
        [str(dashboard), default_storage_url(), "--port", str(port), "--host", "127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline, studies = time.monotonic() + START_S, None
        while studies is None:
            assert server.poll() is None, (tmp_path / "dashboard.log").read_text()
            assert time.monotonic() < deadline, f"optuna-dashboard did not answer on port {port}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=2) as reply:
                    studies = json.load(reply)["study_summaries"]
            except OSError:
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    listed = {study["study_name"]: study for study in studies}
    assert result.study_name in listed, sorted(listed)
    assert listed[result.study_name]["directions"] == ["minimize"]
