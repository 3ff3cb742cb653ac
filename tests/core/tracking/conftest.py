"""A small real feature panel: two synthetic symbols, 2016-2019, built into a DuckDB warehouse."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.forecasting.panel import load_panel
from forge_core.market_tables import build_market_tables
from forge_core.targets import TargetSpec
from forge_core.warehouse.connection import open_warehouse

SPECS = (TargetSpec("rv_1d", 1), TargetSpec("rv_5d", 5))


@pytest.fixture(scope="package")
def panels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """``load_panel`` of each target in SPECS, keyed by target name."""
    first, today = dt.date(2016, 1, 4), dt.date(2019, 6, 28)
    bars = SyntheticSource(2, seed=11, start=first, today=today).load(first, today)
    with open_warehouse(tmp_path_factory.mktemp("tracking") / "warehouse.duckdb") as conn:
        span = build_market_tables(conn, bars, SPECS)
        return {spec.name: load_panel(conn, spec, span.end) for spec in SPECS}
