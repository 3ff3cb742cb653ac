"""Opening the DuckDB warehouse: one writing process at a time, so every open retries with jittered backoff.

DuckDB lets a single process hold a database file for writing; another process cannot even open it until
the holder closes it. Connections are therefore short-lived: open, do one unit of work, close. A writable
connection ends by publishing the readers' snapshot (``reader_snapshots``): readers outside the pipeline open that,
never the live file, so they never keep the writer out.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from forge_core.disk_space import DiskFull, is_disk_full
from forge_core.settings import reader_snapshots
from forge_core.warehouse.reader_snapshots import missing_live_file, publish_snapshot
from forge_core.warehouse.sql_files import table_ddl

logger = logging.getLogger(__name__)


class WarehouseBusyError(RuntimeError):
    """The warehouse file stayed locked by another process for the whole retry budget."""


class WarehouseMissing(RuntimeError):
    """A writable open of a warehouse file that is gone while its reader snapshot exists."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt k waits uniform(0, min(max_delay, base * 2**k)) seconds."""

    timeout_s: float = 60.0
    base_delay_s: float = 0.05
    max_delay_s: float = 2.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * 2**attempt))


def _is_lock_conflict(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text or "conflicting" in text or "already open" in text


def connect(
    path: str | Path, *, read_only: bool = False, retry: RetryPolicy | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse at ``path``, retrying while another process holds it.

    Raises WarehouseBusyError naming the file, the attempts and the last DuckDB message once the budget is spent.
    """
    retry = retry or RetryPolicy()
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random()
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            if not _is_lock_conflict(error):
                raise
            elapsed = time.monotonic() - started
            wait = retry.delay(attempt, rng)
            if elapsed + wait > retry.timeout_s:
                raise WarehouseBusyError(
                    f"could not open warehouse {path} after {attempt + 1} attempts over {elapsed:.1f}s: "
                    f"another process holds it (DuckDB allows one writing process). Last error: {error}"
                ) from error
            time.sleep(wait)
            attempt += 1


@contextmanager
def open_warehouse(
    path: str | Path, *, read_only: bool = False, retry: RetryPolicy | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection; a writable one first makes sure every table exists and, when the block ends
    without an error, publishes the readers' snapshot of what it committed. ``WarehouseMissing`` instead of
    creating an empty file beside an existing snapshot (the snapshot may be the only copy); ``DiskFull``, naming
    the file and the space left, when DuckDB finds no space to write (the failed write is rolled back)."""
    missing = None if read_only else missing_live_file(path)
    if missing is not None:
        raise WarehouseMissing(missing)
    try:
        conn = connect(path, read_only=read_only, retry=retry)
        try:
            if not read_only:
                for ddl in table_ddl():
                    conn.execute(ddl)
            yield conn
            if not read_only and reader_snapshots():
                try:
                    publish_snapshot(conn, path)
                except (
                    OSError
                ) as error:  # the write itself committed: readers keep the previous whole snapshot
                    logger.warning(
                        f"warehouse {path} written, but its reader snapshot was not published: {error}"
                    )
        finally:
            conn.close()
    except duckdb.Error as error:
        if is_disk_full(error):
            raise DiskFull(
                f"could not write the warehouse {path}; the failed write was rolled back: free space and re-run",
                path,
            ) from error
        raise
