"""Where MLflow keeps runs, registered models and artifacts, and which code version a fit came from."""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from forge_core.settings import forge_home

PACKAGE = "volatilityforge"


@dataclass(frozen=True)
class TrackingConfig:
    """MLflow stores: runs (``tracking_uri``), the model registry (``registry_uri``) and the root under which
    each new experiment gets its artifact folder (``artifact_root``; empty: the tracking server's default).
    ``dagster_run_id``: the orchestrator run whose steps log with this config; every run it creates is tagged
    with it, so the recovery after a killed run finds what that run left (``tracking.recovery``)."""

    tracking_uri: str
    registry_uri: str
    artifact_root: str = ""
    dagster_run_id: str = ""


def default_tracking_config() -> TrackingConfig:
    """SQLite runs and registry in ``FORGE_HOME/mlflow/mlflow.db``, artifacts under ``FORGE_HOME/mlflow/artifacts``."""
    folder = forge_home() / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    return TrackingConfig(uri, uri, (folder / "artifacts").as_uri())


@functools.cache
def code_version() -> str:
    """``git rev-parse HEAD`` of the checkout this package runs from, else ``volatilityforge==<version>``; asked
    once per process (every window write and tracked fit records it)."""
    root = Path(__file__).resolve().parents[2]
    try:
        git = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git executable, or it hung
        git = None
    lines = git.stdout.split() if git is not None and git.returncode == 0 else []
    if len(lines) == 2 and Path(lines[0]).resolve() == root:
        return lines[1]
    try:
        return f"{PACKAGE}=={metadata.version(PACKAGE)}"
    except metadata.PackageNotFoundError:
        return "unknown"
