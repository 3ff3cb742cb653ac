"""After a gap every feature window restarts (``sql/features/daily_features.sql``), so for a while a model's inputs
are incomplete and its forecasts NaN. That while, and the days in it, are declared here once.

A day fewer than ``RESTART_ROWS`` rows after a gap (its first bar, which has no ``log_return``, counted) may have
no forecast: the walk-forward leaves its NaN forecasts out, the forecasts check does not count it missing, and
ensembles and interval calibrations do not learn from it. Anywhere else a missing forecast is a defect.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from forge_core.warehouse.sql_files import read_sql

# the longest look-back of any input: 63-row volume windows, then sequences of up to 66 rows (the nets)
RESTART_ROWS = 63 + 66


def restarting(log_return: pd.Series) -> NDArray[np.bool_]:
    """Per row of one symbol's feature rows (oldest first): fewer than RESTART_ROWS rows after a gap."""
    gap_rows = np.flatnonzero(log_return.isna().to_numpy())
    rows = np.arange(len(log_return))
    if not len(gap_rows):
        return np.zeros(len(rows), dtype=bool)
    before = np.searchsorted(gap_rows, rows, side="right") - 1
    since: NDArray[np.int64] = rows - np.where(before >= 0, gap_rows[np.maximum(before, 0)], -RESTART_ROWS)
    return since < RESTART_ROWS


def define_restarting_days(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Define the ``restarting_days(since, until, restart_rows)`` table macro on ``conn``; the params to bind."""
    conn.execute(read_sql("forecasting/restarting_days.sql"))
    return {"restart_rows": RESTART_ROWS}


def since_last_gap(rows: pd.DataFrame) -> pd.DataFrame:
    """One symbol's feature rows (oldest first) after its last gap's first bar: the days whose returns are one
    day's moves, in an unbroken run."""
    gaps = np.flatnonzero(rows["log_return"].isna().to_numpy())
    return rows.iloc[gaps[-1] + 1 :] if len(gaps) else rows
