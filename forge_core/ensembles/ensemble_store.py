"""Writes of an ensemble partition (target x ensemble x window): its ``forecasts`` and ``ensemble_weights`` rows,
replaced together in one transaction."""

from __future__ import annotations

import duckdb
import pandas as pd

from forge_core.ensembles.ensemble_windows import EnsembleWindow
from forge_core.warehouse.partition_writes import replace_keyed


def write_ensemble_window(conn: duckdb.DuckDBPyConnection, result: EnsembleWindow) -> int:
    """Replace the window's ensemble forecasts and weights; returns the forecast rows written."""
    created_at = pd.Timestamp.now(tz="UTC").tz_localize(None)
    keys = {"target": result.target, "model": result.model, "window_start": result.window.start}

    def dated(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(
            date=pd.to_datetime(frame["date"]).dt.date,
            window_start=result.window.start,
            created_at=created_at,
        )

    forecasts = dated(result.forecasts).assign(
        trained_through=pd.to_datetime(result.forecasts["trained_through"]).dt.date
    )
    written, _ = replace_keyed(
        conn, keys, {"forecasts": forecasts, "ensemble_weights": dated(result.weights)}
    )
    return written
