"""Holidays and late data on the live path, through real Dagster runs of the daily job on real DuckDB files: a
weekday that is no XNYS session succeeds in every asset and writes nothing; a session whose bars have not arrived
fails, naming the session and the source's last day; a range closes its sessions only."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterInstance, ExecuteInProcessResult, instance_for_test, materialize

from forge_assets.market_close import market_close
from forge_core.data.bundled import BundledSource
from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.reader_snapshots import snapshot_path
from forge_jobs.definitions import defs
from forge_resources import MarketDataResource
from tests.assets.test_baselines import resources
from tests.jobs.test_definitions import LIVE_DAILY

BUNDLED = MarketDataResource(source="bundled")


def contents(path: Path) -> dict[str, str]:
    """Every table's row count and hash, and the bytes of the file and its reader snapshot."""
    with open_warehouse(path, read_only=True) as conn:
        tables = [
            name for (name,) in conn.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
        ]
        found = {
            table: str(
                conn.execute(f"SELECT count(*), sum(hash(t)) FROM (SELECT * FROM {table}) t").fetchall()
            )
            for table in tables
        }
    for file in (path, snapshot_path(path)):
        found[file.name] = hashlib.sha256(file.read_bytes()).hexdigest()
    return found


def built(path: Path, bars: pd.DataFrame, last: str) -> Path:
    """A warehouse holding ``bars`` up to ``last`` (inclusive), with their features and targets."""
    with open_warehouse(path) as conn:
        build_market_tables(conn, bars[bars["date"] <= pd.Timestamp(last)], DEFAULT_TARGETS)
    return path


@pytest.fixture(scope="module")
def december() -> pd.DataFrame:
    """The bundled bars of the second half of 2018 (S&P 500, NASDAQ, VIX)."""
    return BundledSource().load(dt.date(2018, 7, 2), dt.date(2018, 12, 31))


def daily_job(
    instance: DagsterInstance, warehouse: Path, day: str, market: MarketDataResource = BUNDLED
) -> ExecuteInProcessResult:
    """The code location's daily job for ``day``, on ``warehouse`` and ``market``."""
    return defs.resolve_job_def("daily_job").execute_in_process(
        instance=instance,
        partition_key=day,
        resources={**resources(warehouse), "market_data": market},
        raise_on_error=False,
    )


def failure_line(result: ExecuteInProcessResult) -> str:
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == "market_close"
    description = failure.step_failure_data.user_failure_data.description  # what the UI shows for the step
    return str(description).splitlines()[0]


def test_a_holiday_through_the_daily_job_succeeds_in_every_asset_and_writes_nothing(
    december: pd.DataFrame, tmp_path: Path
) -> None:
    warehouse = built(tmp_path / "w.duckdb", december, "2018-12-24")
    before = contents(warehouse)
    with instance_for_test() as instance:
        result = daily_job(instance, warehouse, "2018-12-25")  # no champion is registered: none is needed
        assert result.success
        events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
        assert set(events) == set(LIVE_DAILY)
        for name, event in events.items():
            metadata = event.materialization.metadata
            assert metadata["skipped"].value == "no trading session on 2018-12-25", name
            assert metadata["calendar"].value == "XNYS" and metadata["dagster/row_count"].value == 0
        checks = result.get_asset_check_evaluations()
        assert len(checks) == 6 and all(c.passed for c in checks)  # each says it skipped
        assert all(c.metadata["skipped"].value == "no trading session on 2018-12-25" for c in checks)
        logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
        assert "market_close: no trading session on 2018-12-25 (XNYS calendar); nothing written" in logged
    assert contents(warehouse) == before  # not a row, not a byte


def test_late_data_fails_naming_the_session_and_the_source_last_day(
    december: pd.DataFrame, tmp_path: Path
) -> None:
    warehouse = built(tmp_path / "w.duckdb", december, "2018-12-31")
    before = contents(warehouse)
    with instance_for_test() as instance:
        result = daily_job(instance, warehouse, "2019-01-02")  # a session; the bundled data end on 2018-12-31
    assert not result.success
    assert failure_line(result) == (
        "late data: no bars for the XNYS session 2019-01-02 in the 'bundled' source, whose last day is "
        "2018-12-31. Nothing was written; run the day again once its bars have arrived."
    )
    assert not result.get_asset_materialization_events()  # nothing after it ran
    assert contents(warehouse) == before


def test_a_session_missing_from_a_files_folder_fails_naming_it(
    december: pd.DataFrame, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    december[december["date"] != pd.Timestamp("2018-12-26")].assign(date=lambda f: f["date"].dt.date).to_csv(
        folder / "bars.csv", index=False
    )
    warehouse = built(tmp_path / "w.duckdb", december, "2018-12-24")
    before = contents(warehouse)
    market = MarketDataResource(source="files", files_path=str(folder))
    with instance_for_test() as instance:
        result = materialize(
            [market_close],
            instance=instance,
            resources={**resources(warehouse), "market_data": market},
            partition_key="2018-12-26",
            raise_on_error=False,
        )
    assert failure_line(result).startswith(
        "missing data: no bars for the XNYS session 2018-12-26 in the 'files' source, whose last day is 2018-12-31."
    )
    assert contents(warehouse) == before


def test_a_range_closes_its_sessions_and_skips_its_holiday(december: pd.DataFrame, tmp_path: Path) -> None:
    warehouse = built(tmp_path / "w.duckdb", december, "2018-12-21")
    with instance_for_test() as instance:
        result = materialize(
            [market_close],
            instance=instance,
            resources={**resources(warehouse), "market_data": BUNDLED},
            tags={
                "dagster/asset_partition_range_start": "2018-12-24",
                "dagster/asset_partition_range_end": "2018-12-26",
            },
            raise_on_error=False,
        )
    assert result.success
    events = result.get_asset_materialization_events()  # one per partition of the range, 25 included
    assert sorted(e.partition for e in events) == ["2018-12-24", "2018-12-25", "2018-12-26"]
    assert {e.materialization.metadata["sessions"].value for e in events} == {2}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        days = conn.execute(
            "SELECT DISTINCT date::VARCHAR FROM daily_features WHERE date > '2018-12-21'"
        ).fetchall()
    assert sorted(days) == [("2018-12-24",), ("2018-12-26",)]
