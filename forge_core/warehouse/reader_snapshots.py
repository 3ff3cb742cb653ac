"""Readers never block the writer: they read a snapshot of the warehouse, never the live file.

DuckDB lets one process write a file, and while it writes no other process may even open it; a reader holding the
live file read-only keeps the writer out instead (a notebook left open made a backfill's writer retry and fail).
So every writable connection of the platform (``open_warehouse``) ends by publishing the state it committed:

1. ``CHECKPOINT`` (the file on disk then holds every committed transaction, the WAL is empty);
2. copy the file to a temporary name beside it, while the write lock is still held, so no other writer can
   change it mid-copy;
3. ``os.replace`` the copy onto ``<stem>.read<suffix>`` (``warehouse.read.duckdb``): atomic, so a reader opens
   either the previous snapshot or the new one, each a whole committed state; a reader still reading the previous
   one keeps its file (POSIX keeps a replaced file alive while it is open).

Readers (notebooks, the ``forecast`` command, the demo's tables, any service) use ``open_reader``: a read-only
connection to the latest snapshot, which no process ever writes, so it opens at once, every time, and never holds
a lock the writer needs. A partition write is one transaction, so a snapshot holds only whole partitions. A
snapshot lags the live file by at most the writer's current unit of work.

A snapshot is never replaced by a poorer state: ``publish_snapshot`` refuses a live file that lacks a table the
snapshot has, or holds an empty table where the snapshot's has rows (``SnapshotRefused``), and ``open_warehouse``
refuses to start an empty warehouse beside an existing snapshot (``missing_live_file``): the snapshot may then be
the only copy, restored with ``cp <snapshot> <live>``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from forge_core.settings import warehouse_path

READER_TAG = ".read"


def snapshot_path(live: str | Path) -> Path:
    """Where the readers' snapshot of the warehouse file ``live`` lies: ``<stem>.read<suffix>`` beside it."""
    live = Path(live)
    return live.with_name(f"{live.stem}{READER_TAG}{live.suffix}")


class SnapshotRefused(RuntimeError):
    """Publishing would replace the readers' snapshot by a state that lost one of its tables or all of its rows."""


def restore_advice(live: str | Path) -> str:
    """How to bring the live file back from its snapshot."""
    return f"restore it with `cp {snapshot_path(live)} {live}` (the snapshot holds every write published)"


def missing_live_file(live: str | Path) -> str | None:
    """Why a writable open of ``live`` must not create it: its file is gone while its snapshot exists (None when
    the file exists or nothing was ever published)."""
    live = Path(live)
    if live.exists() or not snapshot_path(live).is_file():
        return None
    return (
        f"warehouse {live} is missing but its reader snapshot {snapshot_path(live)} exists: refusing to start an "
        f"empty warehouse over it; {restore_advice(live)}, or move the snapshot aside to start afresh"
    )


def _losses(conn: duckdb.DuckDBPyConnection, target: Path) -> list[str]:
    """What the snapshot ``target`` holds that the live file of ``conn`` lost: tables, or every row of one."""
    quoted = str(target).replace("'", "''")
    conn.execute(f"ATTACH '{quoted}' AS published (READ_ONLY)")
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'published'"
            ).fetchall()
        ]
        live = {
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        }
        losses = []
        for name in tables:
            if name not in live:
                losses.append(f"table {name} is gone")
                continue
            # EXISTS stops at the first row: a table of millions of rows costs what an empty one does
            (had,) = conn.execute(f'SELECT EXISTS (SELECT 1 FROM published."{name}")').fetchone() or (False,)
            (has,) = conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{name}")').fetchone() or (False,)
            if had and not has:
                losses.append(f"table {name} is empty")
        return losses
    finally:
        conn.execute("DETACH published")


def publish_snapshot(conn: duckdb.DuckDBPyConnection, live: str | Path) -> Path:
    """Checkpoint ``conn`` (the writer's connection to ``live``) and replace the readers' snapshot with a copy of
    the file; call it only after the writer's transactions have committed and while ``conn`` is still open.
    ``SnapshotRefused`` (the snapshot kept) where the live file lost a table or every row of one."""
    conn.execute("CHECKPOINT")
    target = snapshot_path(live)
    if target.is_file():
        losses = _losses(conn, target)
        if losses:
            raise SnapshotRefused(
                f"reader snapshot {target} kept: the warehouse {live} lost what it holds ({'; '.join(losses)}); "
                f"if the snapshot is the good copy, {restore_advice(live)}"
            )
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(live, partial)
        partial.replace(target)
    finally:
        with suppress(FileNotFoundError):
            partial.unlink()
    return target


@contextmanager
def open_reader(live: str | Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection reading the latest snapshot of the warehouse ``live`` (default: FORGE_HOME's), read-only and
    closed on exit; each call sees the snapshot published last. FileNotFoundError when nothing has been written
    to the warehouse yet."""
    target = snapshot_path(live if live is not None else warehouse_path())
    if not target.exists():
        raise FileNotFoundError(
            f"no reader snapshot {target}: nothing has been written to the warehouse yet "
            "(materialise raw_prices first, e.g. `make demo`)"
        )
    # a private in-memory database attaching the file: ``duckdb.connect(path)`` would share one cached database
    # per path within the process, so a connection held open (a notebook's) would pin every later reader to
    # the snapshot it first saw
    conn = duckdb.connect(":memory:")
    try:
        quoted = str(target).replace("'", "''")  # ATTACH takes a literal, not a bound parameter
        conn.execute(f"ATTACH '{quoted}' AS warehouse (READ_ONLY)")
        conn.execute("USE warehouse")
        yield conn
    finally:
        conn.close()
