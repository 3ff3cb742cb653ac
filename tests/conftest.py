"""Shared fixtures: a private FORGE_HOME per test, and real DuckDB warehouses filled from real sources."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import psycopg2
import pytest

# Partitions are fixed when forge_assets is imported. In tests they do not follow a source's data (that is tested
# in tests/assets/test_partition_span.py): years and windows run 1999 through today, live days over the test
# markets (2016 on).
os.environ.setdefault("FORGE_START_DATE", "1999-01-01")
os.environ.setdefault("FORGE_END_DATE", "today")
os.environ.setdefault("FORGE_WALK_FORWARD_START", "2002-01-01")
os.environ.setdefault("FORGE_LIVE_START_DATE", "2016-01-04")

from forge_core.data.bundled import BundledSource
from forge_core.date_window import DateWindow
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.partition_writes import replace_window_from_frame


@pytest.fixture(autouse=True)
def forge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own state folder; nothing touches the repository's .forge/."""
    home = tmp_path / "forge_home"
    monkeypatch.setenv("FORGE_HOME", str(home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return home


@pytest.fixture(scope="session")
def bundled_bars() -> pd.DataFrame:
    """All of the real bundled data (S&P 500, NASDAQ 1999-2018, VIX 2014-2019), validated."""
    return BundledSource().load(dt.date(1990, 1, 1), dt.date(2030, 1, 1))


def load_raw(path: Path, bars: pd.DataFrame) -> DateWindow:
    """Write ``bars`` into raw_prices of the warehouse at ``path``; returns the window they span."""
    window = DateWindow(bars["date"].min().date(), bars["date"].max().date() + dt.timedelta(days=1))
    with open_warehouse(path) as conn:
        replace_window_from_frame(conn, "raw_prices", "date", window, bars)
    return window


@pytest.fixture
def warehouse_file(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "warehouse.duckdb"


POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}  # the CI service: trust auth


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new database on the CI Postgres, dropped (with any open connection) afterwards; yields its name.
    No skip when Postgres is down: CI provides it, so a failure to connect must fail the test."""
    name = f"{prefix}_{uuid.uuid4().hex}"
    admin = psycopg2.connect(**POSTGRES, dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def postgres_instance(home: Path, database: str) -> dict[str, str]:
    """A DAGSTER_HOME at ``home`` holding the repository's dagster.yaml, and the variables that point it at
    ``database`` on the CI Postgres: the production instance."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).parents[1] / "dagster.yaml", home / "dagster.yaml")
    return {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": str(POSTGRES["host"]),
        "DAGSTER_PG_PORT": str(POSTGRES["port"]),
        "DAGSTER_PG_DB": database,
        "DAGSTER_PG_USER": str(POSTGRES["user"]),
        "DAGSTER_PG_PASSWORD": "",
    }


def postgres_url(database: str) -> str:
    """SQLAlchemy URL of a database on the CI Postgres, with the psycopg2 driver."""
    return f"postgresql+psycopg2://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}/{database}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a real server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
