"""A state folder that can be copied or moved: the local MLflow store re-rooted when it is opened.

MLflow keeps absolute artifact locations in its store: each experiment's ``artifact_location``, each run's
``artifact_uri`` (``file:///<FORGE_HOME>/mlflow/artifacts/<target>/<run>/artifacts``), and the ``source`` and
``storage_location`` of model versions and logged models registered from a path. A copied or moved FORGE_HOME
would read and write the original's artifacts through them. So, when a process first opens a SQLite store whose
artifact root lies beside it (FORGE_HOME's layout: ``mlflow/mlflow.db`` and ``mlflow/artifacts``) and the store's
experiments sit under the same layout elsewhere, ``reroot_store`` moves every stored location onto the root beside
the store, in one transaction. It also puts MLflow's default experiment (id 0), which MLflow creates under
``./mlruns`` of whatever folder the first process ran from, under the root, so no location the store names lies
outside FORGE_HOME. Stores elsewhere (Postgres, a tracking server, an explicit artifact root) are left alone.
"""

from __future__ import annotations

import logging
import sqlite3
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

from forge_core.state_stores import BUSY_TIMEOUT_S

DEFAULT_EXPERIMENT_ID = 0
LOCATIONS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("model_versions", "source"),
    ("model_versions", "storage_location"),
    ("logged_models", "artifact_location"),
)

logger = logging.getLogger(__name__)


def local_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI or an absolute path; None for anything else."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return Path(urllib.request.url2pathname(parsed.path))
    return Path(uri) if not parsed.scheme and uri.startswith("/") else None


def beside_store(store: Path, artifact_root: str) -> Path | None:
    """The artifact root's folder when it lies beside the SQLite file ``store`` (FORGE_HOME's layout), else None."""
    root = local_path(artifact_root)
    return root if root is not None and root.parent == store.parent else None


def reroot_store(store: Path, root: Path) -> list[Path]:
    """Move every artifact location of the SQLite store ``store`` from the roots of FORGE_HOME's layout it names
    (a folder named like ``root`` in a folder named like ``root``'s parent) onto ``root``, and the default
    experiment under ``root``; returns the roots moved from. A store already under ``root`` is left as it is."""
    with closing(sqlite3.connect(store, timeout=BUSY_TIMEOUT_S)) as conn, conn:
        found = conn.execute("SELECT experiment_id, artifact_location FROM experiments").fetchall()
        parents = {
            path.parent
            for experiment, location in found
            if experiment != DEFAULT_EXPERIMENT_ID and (path := local_path(location or "")) is not None
        }
        old = sorted(
            p for p in parents if p != root and p.name == root.name and p.parent.name == root.parent.name
        )
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for before in old:
            for prefix, replacement in ((before.as_uri(), root.as_uri()), (str(before), str(root))):
                for table, column in LOCATIONS:
                    if table in tables:
                        _replace_prefix(conn, table, column, prefix, replacement)
        default = f"{root.as_uri()}/{DEFAULT_EXPERIMENT_ID}"
        moved_default = any(e == DEFAULT_EXPERIMENT_ID and loc != default for e, loc in found)
        if moved_default:
            conn.execute(
                "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
                (default, DEFAULT_EXPERIMENT_ID),
            )
    if old:
        logger.warning(
            "MLflow store %s: artifact locations moved from %s to %s (FORGE_HOME was copied or moved)",
            store,
            ", ".join(map(str, old)),
            root,
        )
    elif moved_default:
        logger.info("MLflow store %s: the default experiment's artifacts now go under %s", store, root)
    return old


def _replace_prefix(conn: sqlite3.Connection, table: str, column: str, prefix: str, replacement: str) -> None:
    """``prefix`` -> ``replacement`` at the start of ``table.column`` where the value is ``prefix`` or goes on
    below it (``prefix/...``)."""
    conn.execute(
        f'UPDATE "{table}" SET "{column}" = ? || substr("{column}", ?) '
        f'WHERE substr("{column}", 1, ?) = ? AND (length("{column}") = ? OR substr("{column}", ?, 1) = \'/\')',
        (replacement, len(prefix) + 1, len(prefix), prefix, len(prefix), len(prefix) + 1),
    )
