"""The market data source as a Dagster resource, chosen by configuration (or FORGE_* environment variables)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
from dagster import ConfigurableResource
from pydantic import Field

from forge_core.data.sources import make_source
from forge_core.warehouse.partitions import DateWindow


class MarketDataResource(ConfigurableResource):
    """Where daily OHLCV comes from: ``bundled`` (S&P 500, NASDAQ, VIX from arch), ``files`` or ``synthetic``."""

    source: Literal["bundled", "files", "synthetic"] = Field(default="bundled")
    files_path: str = Field(default="", description="Folder of CSV/Parquet files (source 'files').")
    synthetic_symbols: int = Field(default=5, ge=1, description="Number of synthetic symbols.")
    synthetic_seed: int = Field(default=7, description="Seed of the synthetic market.")
    synthetic_start: str = Field(
        default="2000-01-03", description="First trading day of the synthetic market."
    )

    def load(self, window: DateWindow) -> pd.DataFrame:
        """Validated rows of every symbol dated inside ``window``; raises MarketDataError on bad input."""
        source = make_source(
            self.source,
            files_path=self.files_path or None,
            synthetic_symbols=self.synthetic_symbols,
            synthetic_seed=self.synthetic_seed,
            synthetic_start=dt.date.fromisoformat(self.synthetic_start),
        )
        return source.load(window.start, window.last_day)
