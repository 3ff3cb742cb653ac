"""Choosing a market data source by name: bundled (arch's real data), files (a folder) or synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import pandas as pd

from forge_core.data.bundled import BundledSource
from forge_core.data.files import FileSource
from forge_core.data.synthetic import DEFAULT_START, RegimeShift, SyntheticSource
from forge_core.data.validation import DEFAULT_MAX_ABS_LOG_RETURN, DEFAULT_PRICE_RANGE, PlausibilityMode

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
    synthetic_start: dt.date = DEFAULT_START,
    synthetic_shift: RegimeShift | None = None,
    max_abs_log_return: float | None = DEFAULT_MAX_ABS_LOG_RETURN,
    price_range: tuple[float, float] | None = DEFAULT_PRICE_RANGE,
    plausibility_mode: PlausibilityMode = "refuse",
) -> MarketDataSource:
    """Build the source named ``kind``; a clear error for an unknown kind or a missing folder setting.

    The plausibility settings apply to the ``files`` source (see ``FileSource``); the bundled and synthetic
    data always pass the default ones.
    """
    if kind == "bundled":
        return BundledSource()
    if kind == "files":
        if not files_path:
            raise ValueError("market data source 'files' needs a folder: set files_path (FORGE_FILES_PATH)")
        return FileSource(
            files_path,
            max_abs_log_return=max_abs_log_return,
            price_range=price_range,
            plausibility_mode=plausibility_mode,
        )
    if kind == "synthetic":
        return SyntheticSource(
            synthetic_symbols, seed=synthetic_seed, start=synthetic_start, shift=synthetic_shift
        )
    raise ValueError(f"unknown market data source {kind!r}; choose one of {SOURCE_KINDS}")
