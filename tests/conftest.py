"""Shared fixtures: a private FORGE_HOME per test, and real DuckDB warehouses filled from real sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from forge_core.data.bundled import BundledSource
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.partitions import DateWindow, replace_window_from_frame


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
