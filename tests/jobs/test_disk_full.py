"""A full disk is said first, by path and free space, and costs a re-run: on a small tmpfs holding FORGE_HOME (the
warehouse, the Dagster instance, MLflow), the demo's market data run fails at 4 MiB and at 0 bytes free with
"no space left on device", leaves every warehouse table as it was and the instance's history intact, and succeeds
once space is freed. Mounting needs root, which CI has: there the test runs, never skips."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import DagsterRunStatus

from forge_jobs.instance import dagster_instance, embedded_dagster_home

REPO = Path(__file__).parents[2]
# the demo's first run: the market data job over every year of the bundled data
RUN = "import datetime as d, forge_jobs.demo as m; exit(not m.run_main_job(d.date(1999, 1, 1), d.date(2018, 12, 31)))"
MiB = 2**20


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MiB tmpfs, unmounted afterwards (mounting needs root: CI and this machine run the suite as root)."""
    assert os.geteuid() == 0, "tests/jobs/test_disk_full.py mounts a tmpfs: run the suite as root, as CI does"
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def run(home: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", RUN],
        env={**os.environ, "FORGE_HOME": str(home), "PYTHONPATH": str(REPO)} | {"DAGSTER_HOME": ""},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


def fill(disk: Path, leave: int, name: str) -> None:
    """Write a file of zeros that leaves ``leave`` bytes free on ``disk``."""
    size = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - leave
    with (disk / name).open("wb") as filler:
        os.posix_fallocate(filler.fileno(), 0, size)


def table_hashes(warehouse: Path) -> dict[str, Any]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = [row[0] for row in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: conn.execute(f'SELECT count(*), sum(hash(t)) FROM "{t}" t').fetchone() for t in tables}


def test_a_full_disk_says_so_first_changes_nothing_and_a_rerun_succeeds(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = small_disk / "forge"
    warehouse = home / "warehouse.duckdb"
    code, output = run(home)
    assert code == 0, output
    before = table_hashes(warehouse)
    assert before["daily_features"][0] > 0

    fill(small_disk, 4 * MiB, "filler")
    code, output = run(home)
    assert code != 0
    failure = next(line for line in output.splitlines() if "ERROR" in line)
    assert "failed: no space left on device (" in failure, output
    assert f"free on {small_disk}): could not write the warehouse {warehouse}" in failure
    assert "cannot rollback" not in output and "Traceback" not in output
    assert table_hashes(warehouse) == before

    fill(small_disk, 0, "filler_0")
    assert os.statvfs(small_disk).f_bavail == 0
    code, output = run(home)
    assert code != 0
    said = output.strip().splitlines()[-1]  # one line, no traceback (forge_jobs prints it so)
    assert said.startswith(f"error: no space left on device (0 bytes free on {small_disk})")
    assert "Traceback" not in output
    assert f"Dagster instance storage in {home / 'dagster'}" in said
    assert "aside" not in output  # nothing advises discarding the intact history
    assert table_hashes(warehouse) == before

    (small_disk / "filler").unlink()
    (small_disk / "filler_0").unlink()
    code, output = run(home)
    assert code == 0, output
    assert table_hashes(warehouse) == before
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    with dagster_instance() as instance:  # every run is kept: the first, the one failed at 4 MiB, the re-run
        statuses = sorted(record.status.value for record in instance.get_runs())
    assert statuses == [DagsterRunStatus.FAILURE.value, *[DagsterRunStatus.SUCCESS.value] * 2]


def test_an_unreadable_instance_is_called_damaged_only_when_its_files_fail_their_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(embedded_dagster_home()))
    dagster_instance().dispose()
    runs = embedded_dagster_home() / "history" / "runs.db"
    runs.write_bytes(b"not a database" * 100)
    with pytest.raises(
        RuntimeError, match="fail SQLite's integrity check: back up its history and schedules"
    ):
        dagster_instance()
