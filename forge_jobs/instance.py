"""The embedded Dagster instance: SQLite storage under FORGE_HOME/dagster, no set-up needed.

Production uses the repository's dagster.yaml (Postgres) instead; see the README.

Dagster creates the SQLite schema of an instance when a process first makes it (``SqliteRunStorage.from_local``
and ``SqliteScheduleStorage.from_local`` run ``create_all`` and stamp alembic, then their data migrations;
``SqliteEventLogStorage.__init__`` does the same for ``history/runs/index.db`` when that file is missing).
Processes doing that at once stamp two revisions (after which every open fails with "Version table
'alembic_version' has more than one head present"), and a process killed part-way leaves tables or data
migrations missing. So ``dagster_instance`` makes the embedded instance holding a lock file in its folder,
after checking what an earlier creation left (``_damage``): a broken instance without runs is moved into
``broken-<time>/`` in the same folder and made again; one with runs is mended and migrated with Dagster's own
``instance.upgrade()``, or the call fails saying what is wrong. A storage that cannot be opened is never called
disposable unless its files fail SQLite's integrity check: on a full disk the call fails with ``DiskFull`` ("no
space left on device", the folder and the space left), its history untouched.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
from collections.abc import Collection, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import yaml
from alembic.script import ScriptDirectory
from dagster import DagsterInstance
from dagster._core.storage.event_log.migration import ASSET_DATA_MIGRATIONS, EVENT_LOG_DATA_MIGRATIONS
from dagster._core.storage.event_log.schema import SqlEventLogStorageMetadata
from dagster._core.storage.runs.migration import REQUIRED_DATA_MIGRATIONS
from dagster._core.storage.runs.schema import RunStorageSqlMetadata
from dagster._core.storage.runs.sqlite import sqlite_run_storage
from dagster._core.storage.schedules.migration import REQUIRED_SCHEDULE_DATA_MIGRATIONS
from dagster._core.storage.schedules.schema import ScheduleStorageSqlMetadata
from dagster._core.storage.sql import get_alembic_config
from sqlalchemy import MetaData

from forge_core.disk_space import DiskFull, free_bytes, is_disk_full
from forge_core.settings import forge_home
from forge_core.state_stores import (
    count_rows,
    drop_interrupted_copies,
    exclusive_lock,
    keep_head_version,
    move_aside,
    schema_problems,
    sqlite_state,
)

logger = logging.getLogger(__name__)

EMBEDDED_INSTANCE_YAML = """\
# Embedded VolatilityForge instance (SQLite under this folder). Written by forge_jobs.instance.
concurrency:
  pools:
    default_limit: 1  # `warehouse`: one DuckDB writer; `gpu`: one device
run_monitoring:  # with `make ui` (dagster dev runs the daemon): dead runs failed, ended runs' pool slots freed
  enabled: true
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
  free_slots_after_run_end_seconds: 30
run_coordinator:  # runs launched by the UI, the schedule and the sensor wait in the queue the daemon empties
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1  # Dagster's default 5 s would add 2.5 s on average to every launched run
telemetry:
  enabled: false
"""
LOCK_FILE = ".storage.lock"
STORAGE_FOLDERS = ("history", "schedules")  # every SQLite file of the instance lies under these
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")
EVENT_INDEX = "history/runs/index.db"
# Rows Dagster writes as it creates a store; anything else is the user's (runs, ticks, asset events, pools).
BOOKKEEPING_TABLES = frozenset(
    {"alembic_version", "secondary_indexes", "instance_info", "daemon_heartbeats", "kvs"}
)


@dataclass(frozen=True)
class _Database:
    """One SQLite file of the instance: where it lies, its tables and the data migrations marked done in it."""

    path: str  # relative to the instance folder
    metadata: MetaData
    migrations: Collection[str]


DATABASES = (
    _Database("history/runs.db", RunStorageSqlMetadata, tuple(REQUIRED_DATA_MIGRATIONS)),
    _Database(EVENT_INDEX, SqlEventLogStorageMetadata, (*EVENT_LOG_DATA_MIGRATIONS, *ASSET_DATA_MIGRATIONS)),
    _Database("schedules/schedules.db", ScheduleStorageSqlMetadata, tuple(REQUIRED_SCHEDULE_DATA_MIGRATIONS)),
)


def embedded_dagster_home() -> Path:
    """FORGE_HOME/dagster, created with its dagster.yaml when missing."""
    home = forge_home() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(EMBEDDED_INSTANCE_YAML)
    return home


def dagster_instance() -> DagsterInstance:
    """The instance named by DAGSTER_HOME, else the embedded one (DAGSTER_HOME is then set to it).

    Where the instance keeps Dagster's default SQLite storage in its folder (the embedded one does), it is
    opened holding ``<folder>/.storage.lock``, after a half-created storage is repaired or rebuilt."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(embedded_dagster_home())
    home = Path(os.environ["DAGSTER_HOME"]).expanduser()
    if not (home.is_absolute() and home.is_dir() and _keeps_sqlite_storage(home)):
        return DagsterInstance.get()  # Postgres migrates in a dedicated step; Dagster reports other errors
    with exclusive_lock(home / LOCK_FILE):
        damage = _damage(home)
        if not damage:
            return DagsterInstance.get()  # creates whatever is missing, alone
        if not _holds_runs(home):
            backup = move_aside([home / folder for folder in STORAGE_FOLDERS], home)
            logger.warning(
                "The Dagster instance storage in %s was left half-created (%s) and holds no runs: moved it to %s "
                "and creating it again",
                home,
                _describe(damage),
                backup,
            )
            return DagsterInstance.get()
        return _repair_in_place(home, damage)


def _keeps_sqlite_storage(home: Path) -> bool:
    """Whether the dagster.yaml in ``home`` leaves storage to Dagster's default, SQLite files under ``home``."""
    config_file = home / "dagster.yaml"
    try:
        config = yaml.safe_load(config_file.read_text()) if config_file.exists() else {}
    except (OSError, yaml.YAMLError):
        return False  # Dagster itself reports an unreadable configuration
    return not (isinstance(config, dict) and any(key in config for key in STORAGE_KEYS))


@functools.cache
def _head() -> str:
    """The newest revision of Dagster's storage schema (one alembic chain for runs, event logs and schedules)."""
    head = ScriptDirectory.from_config(get_alembic_config(sqlite_run_storage.__file__)).get_current_head()
    assert head is not None, "Dagster ships a single chain of storage migrations"
    return head


def _damage(home: Path) -> dict[str, list[str]]:
    """What is wrong with each SQLite file of the instance in ``home``, keyed by its relative path.

    A missing file is fine (Dagster makes it); an empty one, one without tables, one whose tables or alembic
    revision are not the current ones (``schema_problems``), or one whose data migrations are not all marked
    done is not."""
    head = _head()
    damage: dict[str, list[str]] = {}
    try:
        for database in DATABASES:
            path = home / database.path
            if not path.exists():
                continue
            state = sqlite_state(path)
            if state is None or not state.tables:
                damage[database.path] = ["no tables"]
                continue
            problems = schema_problems(state, database.metadata.tables, head)
            if "secondary_indexes" in state.tables:
                undone = sorted(set(database.migrations) - _migrations_done(path))
                if undone:
                    problems.append(f"data migrations not done ({', '.join(undone)})")
            if problems:
                damage[database.path] = problems
    except sqlite3.DatabaseError as error:
        raise _unopenable(home, error) from error
    return damage


def _unopenable(home: Path, error: sqlite3.DatabaseError) -> OSError | RuntimeError:
    """Why the storage in ``home`` could not be opened, and what to do. Its history is never called disposable
    unless its files fail SQLite's integrity check read as they are on disk: a full disk (SQLite cannot even make
    its shared-memory file at 0 bytes free: "disk I/O error") is ``DiskFull``."""
    if is_disk_full(error) or free_bytes(home) == 0:
        return DiskFull(
            f"the Dagster instance storage in {home} cannot be opened ({error}); nothing was changed: free space "
            "and re-run",
            home,
        )
    damaged = [database.path for database in DATABASES if not _intact(home / database.path)]
    if not damaged:
        return RuntimeError(
            f"The Dagster instance storage in {home} cannot be opened ({error}), though its files read intact: "
            "check the folder's permissions and the disk, then re-run; its history is kept"
        )
    return RuntimeError(
        f"The Dagster instance storage in {home} cannot be opened ({error}) and {', '.join(damaged)} fail SQLite's "
        f"integrity check: back up its {' and '.join(STORAGE_FOLDERS)} folders, then move them aside to start a "
        "new instance"
    )


def _intact(path: Path) -> bool:
    """Whether the SQLite file at ``path`` (if any) passes ``PRAGMA quick_check``, read as it is on disk without
    writing anything beside it."""
    if not path.exists():
        return True
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)) as conn:
            return bool(conn.execute("PRAGMA quick_check").fetchone() == ("ok",))
    except sqlite3.DatabaseError:
        return False


def _migrations_done(path: Path) -> set[str]:
    with closing(sqlite3.connect(path, timeout=60)) as conn:
        rows = conn.execute("SELECT name FROM secondary_indexes WHERE migration_completed IS NOT NULL")
        return {row[0] for row in rows}


def _holds_runs(home: Path) -> bool:
    """Whether the storage holds anything of the user's: a run's event log file, or rows beyond bookkeeping."""
    shards = [
        path for path in (home / "history" / "runs").glob("*.db") if path.name != Path(EVENT_INDEX).name
    ]
    if shards:
        return True
    try:
        return any(
            count_rows(home / database.path, BOOKKEEPING_TABLES) > 0
            for database in DATABASES
            if (home / database.path).exists()
        )
    except sqlite3.DatabaseError:
        return True  # unreadable: never treat it as empty


def _describe(damage: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{path}: {', '.join(problems)}" for path, problems in damage.items())


def _repair_in_place(home: Path, damage: Mapping[str, list[str]]) -> DagsterInstance:
    """Mend a damaged storage that holds runs, then migrate it with Dagster's own ``instance.upgrade()``.

    Duplicate alembic rows are cut to the head where every table exists (the tables were made from the current
    schema, so the head is the true revision), copies of an interrupted migration are dropped, and the upgrade
    brings the schema and the data migrations to date. Fails, saying what remains, if that does not mend it."""
    logger.warning(
        "The Dagster instance storage in %s is damaged (%s) and holds runs: repairing it and migrating it with "
        "Dagster's instance upgrade",
        home,
        _describe(damage),
    )
    head = _head()
    try:
        for database in DATABASES:
            path = home / database.path
            state = sqlite_state(path)
            if database.path not in damage or state is None:
                continue
            if not set(database.metadata.tables) - state.tables:
                keep_head_version(path, head)
            drop_interrupted_copies(path)
        instance = DagsterInstance.get()
        instance.upgrade(print_fn=logger.info)
        instance.event_log_storage.reindex_events(print_fn=logger.info)
    except Exception as error:
        if is_disk_full(error):
            raise DiskFull(
                f"could not repair the Dagster instance storage in {home}; free space and re-run", home
            ) from error
        raise RuntimeError(
            f"The Dagster instance storage in {home} holds runs but is damaged ({_describe(damage)}) and could not "
            f"be migrated ({error}); back up its {' and '.join(STORAGE_FOLDERS)} folders, then try "
            "`dagster instance migrate`, or move them aside to start a new instance"
        ) from error
    remaining = _damage(home)
    if remaining:
        instance.dispose()
        raise RuntimeError(
            f"The Dagster instance storage in {home} holds runs but is still damaged after `instance.upgrade()` "
            f"({_describe(remaining)}); back up its {' and '.join(STORAGE_FOLDERS)} folders and move them aside "
            "to start a new instance"
        )
    logger.warning("Repaired the Dagster instance storage in %s; its runs are kept", home)
    return instance
