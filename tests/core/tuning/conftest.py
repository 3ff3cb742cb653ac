"""A small real feature panel (two synthetic symbols, 2016 to mid-2019) and a fresh Postgres database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.forecasting.panel import load_panel
from forge_core.market_tables import build_market_tables
from forge_core.targets import TargetSpec
from forge_core.warehouse.connection import open_warehouse
from tests.conftest import postgres_url as url_of
from tests.conftest import throwaway_database

SPEC = TargetSpec("rv_5d", 5)


@pytest.fixture(scope="package")
def panel(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """``load_panel`` of SPEC."""
    first, today = dt.date(2016, 1, 4), dt.date(2019, 6, 28)
    bars = SyntheticSource(2, seed=5, start=first, today=today).load(first, today)
    with open_warehouse(tmp_path_factory.mktemp("tuning") / "warehouse.duckdb") as conn:
        span = build_market_tables(conn, bars, (SPEC,))
        return load_panel(conn, SPEC, span.end)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway database on the CI Postgres (127.0.0.1:5432, trust auth), dropped afterwards."""
    with throwaway_database("optuna_test") as name:
        yield url_of(name)
