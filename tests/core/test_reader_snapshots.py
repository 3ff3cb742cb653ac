"""Readers never block the writer: while another process writes partition after partition, readers open the
snapshot every time (one of them holding its connection the whole while, as a notebook does), see only whole
partitions, and the writer, with a retry budget of two seconds, is never kept out."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from forge_core.warehouse.connection import WarehouseMissing, open_warehouse
from forge_core.warehouse.reader_snapshots import SnapshotRefused, open_reader, snapshot_path

PARTITIONS, ROWS = 30, 2000
WRITER = """
import sys
import time
from forge_core.warehouse.connection import RetryPolicy, open_warehouse
from forge_core.warehouse.partition_writes import Replacement, replace_in_transaction

path, partitions, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for part in range(partitions):
    with open_warehouse(path, retry=RetryPolicy(timeout_s=2.0)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS parts (part INTEGER, i INTEGER)")
        select = ("SELECT $part AS part, range::INTEGER AS i FROM range($rows)", {"rows": rows})
        replace_in_transaction(conn, [Replacement("parts", "part = $part", {"part": part}, [select])])
    time.sleep(0.05)  # the next window's fit
print("written")
"""


def test_readers_see_whole_partitions_and_never_keep_the_writer_out(tmp_path: Path) -> None:
    live = tmp_path / "w.duckdb"
    with open_warehouse(live) as conn:  # the first write publishes the first snapshot
        conn.execute("CREATE TABLE parts (part INTEGER, i INTEGER)")
    with open_reader(live) as notebook:  # held open for the whole backfill, like a notebook
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(live), str(PARTITIONS), str(ROWS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        reads, seen = 0, set()
        while writer.poll() is None or reads < 50:
            with open_reader(live) as conn:
                counts = dict(conn.execute("SELECT part, count(*) FROM parts GROUP BY part").fetchall())
            assert set(counts.values()) <= {ROWS}, f"a partial partition: {counts}"
            seen.add(len(counts))
            reads += 1
            time.sleep(0.01)
        out, err = writer.communicate()
        assert writer.returncode == 0 and out.strip() == "written", err
        assert notebook.execute("SELECT count(*) FROM parts").fetchall() == [
            (0,)
        ]  # its own snapshot, unchanged
    with open_reader(live) as conn:
        assert conn.execute("SELECT count(*) FROM parts").fetchall() == [(PARTITIONS * ROWS,)]
    assert len(seen) > 2  # the readers saw the backfill progress, not just its start and end


def test_a_failed_write_publishes_nothing_and_a_fresh_warehouse_names_what_to_do(tmp_path: Path) -> None:
    live = tmp_path / "w.duckdb"
    refused = r"no reader snapshot .*w\.read\.duckdb: nothing has been written"
    with pytest.raises(FileNotFoundError, match=refused), open_reader(live):
        pass
    with open_warehouse(live) as conn:
        conn.execute("CREATE TABLE parts (part INTEGER)")
    published = snapshot_path(live).stat().st_mtime_ns
    with pytest.raises(RuntimeError, match="boom"), open_warehouse(live) as conn:
        conn.execute("BEGIN TRANSACTION")
        conn.execute("INSERT INTO parts VALUES (1)")
        raise RuntimeError("boom")
    assert snapshot_path(live).stat().st_mtime_ns == published
    with open_reader(live) as conn:
        assert conn.execute("SELECT count(*) FROM parts").fetchall() == [(0,)]
    with open_warehouse(live, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM parts").fetchall() == [
            (0,)
        ]  # rolled back in the live file too


def test_a_snapshot_that_cannot_be_published_never_undoes_the_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = tmp_path / "w.duckdb"
    snapshot_path(live).mkdir()  # something in the snapshot's place that a file cannot replace
    with open_warehouse(live) as conn:
        conn.execute("CREATE TABLE parts (part INTEGER)")
    assert "written, but its reader snapshot was not published" in caplog.text
    with open_warehouse(live, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM parts").fetchall() == [(0,)]
    assert not list(tmp_path.glob(".*.partial"))  # no half copy left behind


def test_a_missing_warehouse_is_never_recreated_empty_over_its_snapshot(tmp_path: Path) -> None:
    live = tmp_path / "warehouse.duckdb"
    with open_warehouse(live) as conn:
        conn.execute("INSERT INTO splits VALUES ('X', DATE '2018-01-02', 2.0)")
    live.unlink()  # the live file lost; the snapshot is now the only copy
    with pytest.raises(WarehouseMissing, match=f"cp {snapshot_path(live)} {live}"), open_warehouse(live):
        pass
    assert not live.exists()
    with open_reader(live) as reader:
        assert reader.execute("SELECT count(*) FROM splits").fetchone() == (1,)


@pytest.mark.parametrize("loss", ["DELETE FROM splits", "DROP TABLE splits"])
def test_a_snapshot_is_never_replaced_by_a_warehouse_that_lost_a_table_or_its_rows(
    tmp_path: Path, loss: str
) -> None:
    live = tmp_path / "warehouse.duckdb"
    with open_warehouse(live) as conn:
        conn.execute("INSERT INTO splits VALUES ('X', DATE '2018-01-02', 2.0)")
    with pytest.raises(SnapshotRefused, match=r"table splits is (empty|gone)"), open_warehouse(live) as conn:
        conn.execute(loss)
    with open_reader(live) as reader:  # the readers keep the whole state they had
        assert reader.execute("SELECT count(*) FROM splits").fetchone() == (1,)
