"""Choosing a market data source by name: bundled (arch's real data), files (a folder) or synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import pandas as pd

from forge_core.data.bundled import BundledSource
from forge_core.data.files import FileSource
from forge_core.data.synthetic import SyntheticSource

SOURCE_KINDS = ("bundled", "files", "synthetic")


class MarketDataSource(Protocol):
    """Anything that returns validated canonical OHLCV rows for an inclusive date range."""

    name: str

    def load(self, start: dt.date, end: dt.date) -> pd.DataFrame: ...


def make_source(
    kind: str,
    *,
    files_path: str | None = None,
    synthetic_symbols: int = 5,
    synthetic_seed: int = 7,
    synthetic_start: dt.date = dt.date(2000, 1, 3),
) -> MarketDataSource:
    """Build the source named ``kind``; a clear error for an unknown kind or a missing folder setting."""
    if kind == "bundled":
        return BundledSource()
    if kind == "files":
        if not files_path:
            raise ValueError("market data source 'files' needs a folder: set files_path (FORGE_FILES_PATH)")
        return FileSource(files_path)
    if kind == "synthetic":
        return SyntheticSource(synthetic_symbols, seed=synthetic_seed, start=synthetic_start)
    raise ValueError(f"unknown market data source {kind!r}; choose one of {SOURCE_KINDS}")
