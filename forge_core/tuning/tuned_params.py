"""Tuned hyperparameters in the warehouse, kept per cut-off: a window uses the latest tuning it may see."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from forge_core.warehouse.partition_writes import replace_keyed
from forge_core.warehouse.sql_files import read_sql


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
        read_sql("tuning/tuned_params.sql"),
        {"family": family, "target": target, "window_start": window_start},
    ).fetchone()
    return json.loads(found[0]) if found else None
