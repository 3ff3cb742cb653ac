"""The backtest's warehouse reads and writes: the training panel, forecast partitions, realised forecasts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from forge_core.backtest.walk_forward import QUANTILE_COLUMNS, TrainingScheme, WindowResult
from forge_core.targets import TargetSpec
from forge_core.tracking.config import code_version
from forge_core.warehouse.partitions import replace_keyed
from forge_core.warehouse.sql_files import read_sql

FORECAST_COLUMNS = [
    "symbol", "date", "target", "model", "window_start", "forecast", *QUANTILE_COLUMNS,
    "train_rows", "trained_through",
]  # fmt: skip


def load_panel(conn: duckdb.DuckDBPyConnection, spec: TargetSpec, end: dt.date) -> pd.DataFrame:
    """Feature rows dated before ``end`` with ``target_value`` and ``realised_on`` of ``spec`` (NaN if unknown)."""
    frame = conn.execute(read_sql("backtest/panel.sql"), {"target": spec.name, "end": end}).df()
    return frame.assign(date=pd.to_datetime(frame["date"]), realised_on=pd.to_datetime(frame["realised_on"]))


FIT_COLUMNS = [
    "symbol", "target", "model", "window_start", "train_rows", "trained_through", "scheme", "params", "fit_seconds",
]  # fmt: skip


def write_window(
    conn: duckdb.DuckDBPyConnection,
    result: WindowResult,
    spec: TargetSpec,
    family: str,
    scheme: TrainingScheme,
) -> int:
    """Replace the (target, model, window) partition of ``forecasts`` and of ``model_fits`` by the window's rows,
    in one transaction; returns the forecast rows written."""
    created_at = pd.Timestamp.now(tz="UTC").tz_localize(None)
    forecasts = result.forecasts if len(result.forecasts) else pd.DataFrame(columns=FORECAST_COLUMNS)
    forecasts = forecasts.assign(
        window_start=pd.to_datetime(forecasts["window_start"]).dt.date, created_at=created_at
    )
    fits = pd.DataFrame(
        [
            {
                "symbol": fit.symbol,
                "target": spec.name,
                "model": family,
                "window_start": result.window.start,
                "train_rows": fit.train_rows,
                "trained_through": fit.trained_through,
                "scheme": scheme.describe(),
                "params": json.dumps(fit.params, sort_keys=True, default=str),
                "fit_seconds": fit.seconds,
            }
            for fit in result.fits
        ],
        columns=FIT_COLUMNS,
    ).assign(code_version=code_version(), created_at=created_at)
    keys = {"target": spec.name, "model": family, "window_start": result.window.start}
    written, _ = replace_keyed(conn, keys, {"forecasts": forecasts, "model_fits": fits})
    return written


def load_realised(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored forecast whose target has been realised, with the realised value and the horizon."""
    frame = conn.execute(read_sql("backtest/realised.sql")).df()
    return frame.assign(date=pd.to_datetime(frame["date"]))


@dataclass(frozen=True)
class TunedParams:
    """Hyperparameters tuned for a family and target on windows that ended on or before ``tuned_before``."""

    family: str
    target: str
    params: dict[str, Any]
    tuned_before: dt.date
    best_qlike: float
    n_trials: int
    study_name: str


def save_tuned_params(conn: duckdb.DuckDBPyConnection, tuned: TunedParams) -> None:
    """Replace the (family, target, tuned_before) row of ``hyperparameters``; tunings at other cut-offs stay."""
    row = pd.DataFrame(
        [
            {
                "family": tuned.family,
                "target": tuned.target,
                "params": json.dumps(tuned.params, sort_keys=True),
                "tuned_before": tuned.tuned_before,
                "best_qlike": tuned.best_qlike,
                "n_trials": tuned.n_trials,
                "study_name": tuned.study_name,
                "created_at": pd.Timestamp.now(tz="UTC").tz_localize(None),
            }
        ]
    )
    keys = {"family": tuned.family, "target": tuned.target, "tuned_before": tuned.tuned_before}
    replace_keyed(conn, keys, {"hyperparameters": row})


def tuned_params_for(
    conn: duckdb.DuckDBPyConnection, family: str, target: str, window_start: dt.date
) -> dict[str, Any] | None:
    """The latest tuned parameters usable for a window starting ``window_start`` (tuned on earlier data)."""
    found = conn.execute(
        read_sql("backtest/tuned_params.sql"),
        {"family": family, "target": target, "window_start": window_start},
    ).fetchone()
    return json.loads(found[0]) if found else None
