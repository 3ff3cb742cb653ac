"""The production instance (the repository's dagster.yaml) on a real PostgreSQL, running the real asset graph.

Needs PostgreSQL on 127.0.0.1:5432 with trust auth for user ``postgres`` (CI provides it); fails without it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from dagster import DagsterInstance, materialize
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from forge_assets.market_data import daily_features, raw_prices, targets
from forge_jobs.definitions import defs
from forge_resources import MarketDataResource, WarehouseResource
from tests.conftest import throwaway_database

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REPO_DAGSTER_YAML = Path(__file__).parents[2] / "dagster.yaml"
ASSETS = ("raw_prices", "daily_features", "targets")
CHECKS = (
    "raw_prices_quality",
    "raw_prices_plausibility",
    "raw_prices_gaps",
    "raw_prices_splits",
    "daily_features_quality",
    "targets_quality",
)
OPTION_ASSETS = (
    "option_quotes",
    "quote_summaries",
    "option_features",
    "market_features",
)  # the job's, not single's
SINGLE_PARTITION = "2019"
RANGE = ("2020", "2021")
RANGE_PARTITIONS = ["2020", "2021"]


def _connect(database: str) -> psycopg2.extensions.connection:
    return psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A throwaway database, dropped (with any open connection) after the module."""
    with throwaway_database("forge_test") as name:
        yield name


def _query(database: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with closing(_connect(database)) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _materialized(database: str, run_id: str) -> set[tuple[object, ...]]:
    """(asset_key, partition) of the run's materializations, straight from the event_logs table."""
    sql = "SELECT asset_key, partition FROM event_logs WHERE run_id = %s AND dagster_event_type = %s"
    return set(_query(database, sql, (run_id, "ASSET_MATERIALIZATION")))


def _run_status(database: str, run_id: str) -> str:
    rows = _query(database, "SELECT status FROM runs WHERE run_id = %s", (run_id,))
    assert len(rows) == 1
    return str(rows[0][0])


def test_market_data_graph_on_postgres_instance(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_DAGSTER_YAML, home / "dagster.yaml")
    for var, value in {
        "DAGSTER_PG_HOST": PG_HOST,
        "DAGSTER_PG_PORT": str(PG_PORT),
        "DAGSTER_PG_DB": pg_database,
        "DAGSTER_PG_USER": PG_USER,
        "DAGSTER_PG_PASSWORD": "",
    }.items():
        monkeypatch.setenv(var, value)
    resources = {
        "warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb")),
        "market_data": MarketDataResource(
            source="synthetic", synthetic_symbols=3, synthetic_start="2019-01-01"
        ),
    }

    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)

        single = materialize(
            [raw_prices, daily_features, targets],
            instance=instance,
            resources=resources,
            partition_key=SINGLE_PARTITION,
        )
        ranged = defs.resolve_job_def("market_data_job").execute_in_process(
            instance=instance,
            resources=resources,
            tags={
                "dagster/asset_partition_range_start": RANGE[0],
                "dagster/asset_partition_range_end": RANGE[1],
            },
        )
        assert single.success and ranged.success

    run_ids = {str(row[0]) for row in _query(pg_database, "SELECT run_id FROM runs")}
    assert run_ids == {single.run_id, ranged.run_id}  # the whole range ran as one run
    for run_id, partitions, assets in (
        (single.run_id, [SINGLE_PARTITION], ASSETS),
        (ranged.run_id, RANGE_PARTITIONS, ASSETS + OPTION_ASSETS),
    ):
        assert _run_status(pg_database, run_id) == "SUCCESS"
        assert _materialized(pg_database, run_id) == {
            (f'["{asset}"]', partition) for asset in assets for partition in partitions
        }
        checks = _query(
            pg_database,
            "SELECT event::json #>> '{dagster_event,event_specific_data,check_name}',"
            " event::json #>> '{dagster_event,event_specific_data,success}'"
            " FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_CHECK_EVALUATION'",
            (run_id,),
        )
        expected = CHECKS + tuple(f"{a}_quality" for a in assets if a in OPTION_ASSETS)
        assert sorted(checks) == sorted((check, "true") for check in expected)
