"""Scoring published forecasts as their targets realise: a day's scores are every published forecast whose
target was realised at that day's close (made h trading days before), one row each."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from forge_core.evaluation.losses import qlike
from forge_core.quantiles import INTERVAL_LEVELS, bound_column, covered_column
from forge_core.warehouse.partition_writes import replace_keyed
from forge_core.warehouse.sql_files import read_sql

SCORE_COLUMNS = [
    "symbol", "as_of", "target", "model", "role", "model_version", "fitted_qlike", "realised_on", "realised",
    "forecast", "qlike", "squared_error", *(covered_column(level) for level in INTERVAL_LEVELS), "created_at",
]  # fmt: skip


def score_day(conn: duckdb.DuckDBPyConnection, day: dt.date) -> pd.DataFrame:
    """The ``forecast_scores`` rows of ``day``: QLIKE and squared error of every published forecast realised that
    day, and whether each central interval covered the realisation :math:`\\ell_p \\le y \\le u_p`."""
    rows = conn.execute(read_sql("monitoring/published_realised.sql"), {"day": day}).df()
    y, f = rows["realised"].to_numpy(dtype=float), rows["forecast"].to_numpy(dtype=float)
    rows["qlike"] = qlike(y, f) if len(rows) else np.empty(0)
    rows["squared_error"] = (y - f) ** 2
    for level in INTERVAL_LEVELS:
        low, high = rows[bound_column("lower", level)], rows[bound_column("upper", level)]
        rows[covered_column(level)] = (low <= rows["realised"]) & (rows["realised"] <= high)
    rows["created_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    return rows[SCORE_COLUMNS]


def write_scores(conn: duckdb.DuckDBPyConnection, day: dt.date, rows: pd.DataFrame) -> int:
    """Replace the rows of ``forecast_scores`` realised on ``day`` by ``rows``, in one transaction."""
    dated = rows.assign(realised_on=pd.to_datetime(rows["realised_on"]).dt.date)
    return replace_keyed(conn, {"realised_on": day}, {"forecast_scores": dated})[0]


def load_scores(conn: duckdb.DuckDBPyConnection, end: dt.date) -> pd.DataFrame:
    """Every stored score realised by the close of ``end``."""
    return conn.execute(
        "SELECT * FROM forecast_scores WHERE realised_on <= ? ORDER BY realised_on", [end]
    ).df()
