"""A state folder on its own: built once by real runs (market data, a walk-forward backfill, a retraining, a daily
job, through ``forge_jobs.launch.run_job`` in processes of their own), then copied.

- A copy works on its own files: the daily job run in the copy, from another working folder, with the original
  moved away meanwhile, succeeds; the original is byte for byte as it was, the copy's MLflow store names no path of
  the original, and nothing (no ``mlruns``) is written in the working folder.
- A kill -9 during a retraining, or during a walk-forward backfill, leaves no litter once the same job runs again:
  no MLflow run stays RUNNING, every registered version is referred to (an alias or a stored row), and each fit has
  one run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).parents[2]
ENV = {
    "FORGE_SOURCE": "synthetic",
    "FORGE_SYNTHETIC_SYMBOLS": "2",
    "FORGE_SYNTHETIC_START": "2016-01-04",
    "FORGE_START_DATE": "2016-01-04",
    "FORGE_END_DATE": "2019-07-03",
    "FORGE_WALK_FORWARD_START": "2018-01-01",
    "FORGE_LIVE_START_DATE": "2019-06-03",
    "FORGE_TARGETS": "rv_1d=1",
    "PYTHONPATH": str(REPO),
}
BUILD = (
    ("market_data_job", "2016", "2019"),
    ("baselines_job", "rv_1d|2018-04-01", "rv_1d|2019-03-01"),
    ("retrain_job", "rv_1d", "AS_OF=2019-07-01"),
    ("daily_job", "2019-07-02"),
)


def launch(home: Path, cwd: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """``tests.jobs._state_job`` on ``home`` (FORGE_HOME), run from ``cwd``; ``KEY=value`` args go to the env."""
    extra = dict(arg.split("=", 1) for arg in args if "=" in arg)
    variables = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs._state_job", *(a for a in args if "=" not in a)],
        env=variables | ENV | {"FORGE_HOME": str(home)} | extra | env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run(home: Path, cwd: Path, *args: str) -> str:
    process = launch(home, cwd, *args)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, f"{args}: {output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("built") / "forge"
    for step in BUILD:
        run(home, REPO, *step)
    return home


@pytest.fixture
def copied(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "copy", symlinks=True))


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_copied_state_folder_works_on_its_own_files(built: Path, copied: Path, tmp_path: Path) -> None:
    before = digests(built)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    away = built.with_name("away")
    built.rename(away)  # anything still reading or writing the original fails, or shows up here
    try:
        output = run(copied, elsewhere, "daily_job", "2019-07-03")
        assert not built.exists()
    finally:
        away.rename(built)
    assert digests(built) == before
    assert list(elsewhere.iterdir()) == []  # no mlruns, nothing
    assert f"artifact locations moved from {built / 'mlflow' / 'artifacts'}" in output
    assert mentions(copied / "mlflow" / "mlflow.db", str(built)) == []
    with closing(duckdb.connect(str(copied / "warehouse.read.duckdb"), read_only=True)) as conn:
        days = conn.execute("SELECT DISTINCT as_of FROM daily_forecasts ORDER BY 1").fetchall()
        (report,) = conn.execute("SELECT report FROM drift_reports WHERE day = '2019-07-03'").fetchone() or (
            "",
        )
    assert days == [(dt.date(2019, 7, 2),), (dt.date(2019, 7, 3),)]
    assert report.startswith(str(copied))


def mentions(database: Path, text: str) -> list[str]:
    """The table.column of every value of the SQLite file that contains ``text``."""
    with closing(sqlite3.connect(database)) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [
            f"{table}.{column}"
            for table in tables
            for (_, column, *_) in conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            if conn.execute(
                f'SELECT count(*) FROM "{table}" WHERE instr(CAST("{column}" AS TEXT), ?) > 0', [text]
            ).fetchone()[0]
        ]


def kill_at_run(home: Path, tmp_path: Path, count: int, *args: str) -> None:
    """Start the job, SIGKILL it while it tracks its ``count``-th fit."""
    started = tmp_path / "started"
    process = launch(home, REPO, *args, BLOCK_AT_RUN=str(count), STARTED_FILE=str(started))
    deadline = time.monotonic() + 600
    while not started.exists():
        assert process.poll() is None, process.communicate()[0][-4000:]
        assert time.monotonic() < deadline, "the job never reached the fit"
        time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.communicate()


def registry(home: Path) -> dict[str, list[tuple[str, str, str, str]]]:
    """The MLflow store's active runs (name, status, id, ''), registered versions (model, version, run,
    ``key=value;...`` tags) and aliases (model, version, alias, '')."""
    with closing(sqlite3.connect(home / "mlflow" / "mlflow.db")) as conn:
        return {
            "runs": conn.execute(
                "SELECT name, status, run_uuid, '' FROM runs WHERE lifecycle_stage = 'active'"
            ).fetchall(),
            "versions": conn.execute(
                "SELECT v.name, CAST(v.version AS TEXT), v.run_id, coalesce((SELECT group_concat(key || '=' || "
                "value, ';') FROM model_version_tags t WHERE t.name = v.name AND t.version = v.version), '') "
                "FROM model_versions v WHERE v.current_stage != 'Deleted_Internal'"
            ).fetchall(),
            "aliases": conn.execute(
                "SELECT name, CAST(version AS TEXT), alias, '' FROM registered_model_aliases"
            ).fetchall(),
        }


def references(home: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    """What the warehouse refers to: live versions published (model, version) and walk-forward fits written
    (model, window, symbol)."""
    with closing(duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)) as conn:
        published = {
            (f"volatilityforge-{t}", str(v))
            for t, v in conn.execute("SELECT DISTINCT target, model_version FROM daily_forecasts").fetchall()
        }
        written = {
            (f"{t}-{m}", w.isoformat(), s)
            for t, m, w, s in conn.execute(
                "SELECT DISTINCT target, model, window_start, symbol FROM forecasts"
            ).fetchall()
        }
    return published, written


def versions(home: Path) -> dict[tuple[str, str], tuple[str, str, str]]:
    """Every registered version (model, version) -> the fit it is (model, window, symbol)."""
    found = {}
    for name, version, _, tag_text in registry(home)["versions"]:
        tags = dict(pair.split("=", 1) for pair in tag_text.split(";") if pair)
        found[name, version] = (name, tags.get("forge.window_start", ""), tags.get("forge.symbol", ""))
    return found


def unreferenced(home: Path) -> list[str]:
    """Registered versions no alias and no stored row refers to."""
    aliased = {(name, version) for name, version, _, _ in registry(home)["aliases"]}
    published, written = references(home)
    return [
        f"{name} v{version}"
        for (name, version), fit in versions(home).items()
        if (name, version) not in aliased | published and fit not in written
    ]


def assert_no_litter(home: Path, names: list[str]) -> None:
    """No RUNNING run, no unreferenced version, every stored reference still registered, one run per name."""
    found = registry(home)
    assert [r for r in found["runs"] if r[1] == "RUNNING"] == []
    assert unreferenced(home) == []
    published, written = references(home)
    registered = versions(home)
    assert published - set(registered) == set() and written - set(registered.values()) == set()
    counts = {name: sum(r[0] == name for r in found["runs"]) for name in names}
    assert {n: c for n, c in counts.items() if c != 1} == {}


@pytest.fixture
def litter_free(copied: Path) -> Iterator[Path]:
    assert_no_litter(copied, [])
    yield copied


def test_a_kill_during_a_retraining_leaves_no_litter(litter_free: Path, tmp_path: Path) -> None:
    home = litter_free
    before = {r[2] for r in registry(home)["runs"]}
    kill_at_run(home, tmp_path, 3, "retrain_job", "rv_1d", "AS_OF=2019-07-02")
    killed = registry(home)
    assert [r for r in killed["runs"] if r[1] == "RUNNING"]  # what a kill leaves behind
    assert unreferenced(home)

    output = run(home, REPO, "retrain_job", "rv_1d", "AS_OF=2019-07-02")
    assert "marked FAILED MLflow runs" in output and "deleted registered versions" in output, output[-4000:]
    new = [r[0] for r in registry(home)["runs"] if r[2] not in before]
    assert new and all(name.endswith("-rv_1d-2019-07-02") for name in new)
    assert_no_litter(home, new)


def test_a_kill_during_a_backfill_leaves_no_litter(litter_free: Path, tmp_path: Path) -> None:
    home = litter_free
    before = {r[2] for r in registry(home)["runs"]}
    backfill = ("baselines_job", "rv_1d|2019-04-01", "rv_1d|2019-06-01")
    kill_at_run(home, tmp_path, 4, *backfill)  # the first window of a family written, the second not
    assert unreferenced(home)

    output = run(home, REPO, *backfill)
    assert "marked FAILED MLflow runs" in output, output[-4000:]
    new = [r[0] for r in registry(home)["runs"] if r[2] not in before]
    assert new and all(name.endswith(("2019-04-01", "2019-05-01", "2019-06-01")) for name in new)
    assert_no_litter(home, new)
