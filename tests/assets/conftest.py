"""Shared asset-test fixtures: a synthetic market built once, and a private copy of it per test."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import open_warehouse


@pytest.fixture(scope="module")
def built_market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthetic symbols, 2016-2019, built once (the market data assets have their own tests)."""
    warehouse = tmp_path_factory.mktemp("market") / "w.duckdb"
    source = SyntheticSource(2, seed=7, start=dt.date(2016, 1, 4), today=dt.date(2019, 12, 31))
    with open_warehouse(warehouse) as conn:
        build_market_tables(conn, source.load(dt.date(2016, 1, 4), dt.date(2019, 12, 31)), DEFAULT_TARGETS)
    return warehouse


@pytest.fixture
def market(built_market: Path, tmp_path: Path) -> Path:
    """A private copy of the built warehouse."""
    return Path(shutil.copy(built_market, tmp_path / "w.duckdb"))
