"""Creating local state stores safely: an exclusive file lock, and checks of SQLite stores left half-made.

The embedded stores (Dagster's instance, MLflow, Optuna) are SQLite files whose schema their library creates
with alembic the first time a process opens them. Two processes doing that at once, or one killed part-way
(SQLite commits each CREATE TABLE on its own), leave a store that every later open rejects: two rows in
``alembic_version``, tables missing, or an ``_alembic_tmp_<table>`` copy of an interrupted batch migration.
So every process creates a store holding :func:`exclusive_lock`, and first checks it with
:func:`schema_problems`; :func:`check_sqlite_store` is that check and repair for a single-file store.

A store found broken that holds nothing is moved aside into a ``broken-<time>`` folder beside it (never
deleted) and made again; one that holds data is mended in place with its library's own migration, or the
caller gets an error that says what is wrong and where.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

ALEMBIC_TABLE = "alembic_version"
TMP_PREFIX = "_alembic_tmp_"  # alembic's batch mode copies a table to this name, then swaps it in
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
BUSY_TIMEOUT_S = 60.0


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created, with its folder, if missing) until the block ends.

    The kernel releases it when the holder exits, however it exits, so a killed holder never blocks others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:  # "a": never truncates a file another process may hold
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` SQLAlchemy URL, or None for other URLs and in-memory databases."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


@dataclass(frozen=True)
class SqliteState:
    """What a SQLite file holds: its tables and the rows of its ``alembic_version`` table (empty if none)."""

    tables: frozenset[str]
    versions: tuple[str, ...]


def _connect(path: Path) -> sqlite3.Connection:
    # Not read-only: opening rolls back the journal of a transaction that a killed process left open.
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)


def sqlite_state(path: Path) -> SqliteState | None:
    """The tables and alembic versions of the SQLite file at ``path``; None if there is no file or it is empty."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    with closing(_connect(path)) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = frozenset(name for name in names if not name.startswith("sqlite_"))
        versions: tuple[str, ...] = ()
        if ALEMBIC_TABLE in tables:
            versions = tuple(row[0] for row in conn.execute(f"SELECT version_num FROM {ALEMBIC_TABLE}"))
    return SqliteState(tables, versions)


def schema_problems(state: SqliteState, expected_tables: Collection[str], head: str) -> list[str]:
    """Why ``state`` is not a complete store at alembic revision ``head`` with ``expected_tables``; [] if it is."""
    problems: list[str] = []
    missing = sorted(set(expected_tables) - state.tables)
    if missing:
        shown = ", ".join(missing[:6]) + (", ..." if len(missing) > 6 else "")
        problems.append(f"{len(missing)} of {len(set(expected_tables))} tables missing ({shown})")
    leftovers = sorted(name for name in state.tables if name.startswith(TMP_PREFIX))
    if leftovers:
        problems.append(f"tables left by an interrupted migration ({', '.join(leftovers)})")
    if len(state.versions) > 1:
        problems.append(f"{ALEMBIC_TABLE} has {len(state.versions)} rows ({', '.join(state.versions)})")
    elif not state.versions:
        problems.append("no alembic version")
    elif state.versions[0] != head:
        problems.append(f"alembic version {state.versions[0]}, not the head {head}")
    return problems


def count_rows(path: Path, ignore: Collection[str] = (), where: Mapping[str, str] | None = None) -> int:
    """Rows in every table of ``path`` but those in ``ignore`` (an ``_alembic_tmp_`` copy counts as its table),
    filtered by ``where[table]`` (an SQL condition) where given."""
    where = where or {}
    state = sqlite_state(path)
    if state is None:
        return 0
    total = 0
    with closing(_connect(path)) as conn:
        for table in sorted(state.tables):
            base = table.removeprefix(TMP_PREFIX)
            if base in ignore or table in ignore:
                continue
            condition = f" WHERE {where[base]}" if base in where else ""
            total += conn.execute(f'SELECT count(*) FROM "{table}"{condition}').fetchone()[0]
    return total


def sqlite_files(path: Path) -> list[Path]:
    """``path`` and the journal files SQLite keeps beside it, those that exist."""
    return [
        file for file in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS)) if file.exists()
    ]


def move_aside(paths: Sequence[Path], folder: Path) -> Path:
    """Move ``paths`` (files or folders) into a new ``folder/broken-<UTC time>`` folder; returns that folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = folder / f"broken-{stamp}"
    suffix = 1
    while True:
        try:
            backup.mkdir(parents=True)
            break
        except FileExistsError:
            suffix += 1
            backup = folder / f"broken-{stamp}-{suffix}"
    for path in paths:
        if path.exists():
            path.replace(backup / path.name)
    return backup


def keep_head_version(path: Path, head: str) -> bool:
    """Where ``alembic_version`` holds several rows, ``head`` among them, keep only ``head``; True if it did.

    That is what processes creating one schema at once leave (each stamps the revision it saw): the tables were
    made from the current models, so the head is the true revision. Check the tables before calling this."""
    state = sqlite_state(path)
    if state is None or len(state.versions) < 2 or head not in state.versions:
        return False
    with closing(_connect(path)) as conn, conn:
        conn.execute(f"DELETE FROM {ALEMBIC_TABLE} WHERE version_num != ?", (head,))
    return True


def drop_interrupted_copies(path: Path) -> list[str]:
    """Drop the ``_alembic_tmp_<table>`` copies whose ``<table>`` still exists (the copy of an interrupted batch
    migration: the original holds every row); returns their names. Raises where the original is gone, as the
    copy may then hold the only rows."""
    state = sqlite_state(path)
    if state is None:
        return []
    copies = sorted(name for name in state.tables if name.startswith(TMP_PREFIX))
    orphans = [name for name in copies if name.removeprefix(TMP_PREFIX) not in state.tables]
    if orphans:
        raise RuntimeError(
            f"{path}: {', '.join(orphans)} exist without their original tables, so an interrupted migration may "
            "have left the only copy of their rows there; restore a backup of the file or mend it by hand"
        )
    with closing(_connect(path)) as conn, conn:
        for name in copies:
            conn.execute(f'DROP TABLE "{name}"')
    return copies


def check_sqlite_store(
    path: Path,
    *,
    name: str,
    expected_tables: Collection[str],
    head: str,
    holds_data: Callable[[Path], bool],
    migrate: Callable[[], None],
    logger: logging.Logger,
) -> None:
    """Detect and repair a half-created single-file SQLite store at ``path``; call it holding the store's lock.

    A missing or empty file, or one without tables, is a new store: nothing to do. A store with problems
    (:func:`schema_problems`) that holds no data (``holds_data``) is moved aside and left for the library to
    make again. One that holds data keeps its data: duplicate alembic rows are cut to ``head`` when every
    table exists, copies of an interrupted migration are dropped, and ``migrate`` (the library's own
    migration) runs; if problems remain, RuntimeError. Every repair logs a WARNING naming the store."""
    state = sqlite_state(path)
    if state is None or not state.tables:
        return
    problems = schema_problems(state, expected_tables, head)
    if not problems:
        return
    if not holds_data(path):
        backup = move_aside(sqlite_files(path), path.parent)
        logger.warning(
            "The %s store %s was left half-created (%s) and holds no data: moved it to %s and creating it again",
            name,
            path,
            "; ".join(problems),
            backup,
        )
        return
    logger.warning(
        "The %s store %s is damaged (%s) and holds data: repairing it in place with %s's own migration",
        name,
        path,
        "; ".join(problems),
        name,
    )
    if not set(expected_tables) - state.tables:
        keep_head_version(path, head)
    drop_interrupted_copies(path)
    migrate()
    after = sqlite_state(path)
    remaining = schema_problems(after, expected_tables, head) if after else ["the file is gone"]
    if remaining:
        raise RuntimeError(
            f"The {name} store {path} holds data but is damaged ({'; '.join(remaining)}) and its migration did "
            f"not mend it; back the file up, then restore a backup or move it aside to start a new store"
        )
    logger.warning("Repaired the %s store %s; its data is kept", name, path)
