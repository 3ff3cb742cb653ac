"""One synthetic symbol's real ``daily_features`` rows with a target, built by the pipeline in a DuckDB file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from forge_core.data.synthetic import SyntheticSource
from forge_core.forecasting.panel import load_panel
from forge_core.market_tables import build_market_tables
from forge_core.targets import TargetSpec
from forge_core.warehouse.connection import open_warehouse

SPEC = TargetSpec("rv_5d", 5, "parkinson")
START = dt.date(2008, 1, 1)


def synthetic_panel(path: Path, end: dt.date = dt.date(2019, 12, 31)) -> pd.DataFrame:
    """Features + ``target_value`` of SYN000 (persistent AR(1) log-variance seen through noisy range proxies)."""
    source = SyntheticSource(1, seed=3, start=START, today=end)
    with open_warehouse(path) as conn:
        span = build_market_tables(conn, source.load(START, end), (SPEC,))
        panel = load_panel(conn, SPEC, span.end)
    return panel[panel["symbol"] == "SYN000"].sort_values("date").reset_index(drop=True)
