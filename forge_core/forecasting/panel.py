"""The training panel: feature rows joined with one target's values and the day each was realised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import read_sql


def load_panel(
    conn: duckdb.DuckDBPyConnection,
    spec: TargetSpec,
    end: dt.date,
    symbols: Sequence[str] = (),
    start: dt.date | None = None,
) -> pd.DataFrame:
    """Feature rows dated before ``end`` (and from ``start``, if given; of ``symbols`` only, if any are named)
    with ``target_value`` and ``realised_on`` of ``spec`` (NaN if unknown).

    Whoever trains on it keeps only rows realised before its window (``walk_forward.purged_training_rows``)."""
    params = {"target": spec.name, "start": start, "end": end, "symbols": list(symbols)}
    frame = conn.execute(read_sql("forecasting/panel.sql"), params).df()
    return frame.assign(date=pd.to_datetime(frame["date"]), realised_on=pd.to_datetime(frame["realised_on"]))
