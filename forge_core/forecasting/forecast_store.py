"""The forecast store: partition writes of ``forecasts`` and ``model_fits``, and reads of stored forecasts.

A model partition (target x family x window) owns the rows with its (target, model, window_start) in both
tables; ``write_window`` replaces them in one transaction, so a re-run never doubles rows and a failure leaves
the old partition whole.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import duckdb
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.forecasting.restarts import define_restarting_days
from forge_core.forecasting.walk_forward import StoredWindow, TrainingScheme, WindowResult
from forge_core.settings import code_version
from forge_core.warehouse.partition_writes import replace_keyed
from forge_core.warehouse.quality import QualityReport, counts
from forge_core.warehouse.sql_files import read_sql

FIT_COLUMNS = [
    "symbol", "target", "model", "window_start", "train_rows", "trained_through", "scheme", "params", "fit_seconds",
]  # fmt: skip


def fit_rows(result: WindowResult, scheme: TrainingScheme) -> pd.DataFrame:
    """One ``model_fits`` row per symbol fitted in the window: what it saw and what it learnt."""
    return pd.DataFrame(
        [
            {
                "symbol": fit.symbol,
                "target": result.target,
                "model": result.family,
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
    ).assign(code_version=code_version())


def write_window(conn: duckdb.DuckDBPyConnection, result: WindowResult, scheme: TrainingScheme) -> int:
    """Replace the (target, model, window) partition of ``forecasts`` and of ``model_fits`` by the window's rows,
    in one transaction; returns the forecast rows written."""
    created_at = pd.Timestamp.now(tz="UTC").tz_localize(None)
    forecasts = result.forecasts
    forecasts = forecasts.assign(
        window_start=pd.to_datetime(forecasts["window_start"]).dt.date, created_at=created_at
    )
    fits = fit_rows(result, scheme).assign(created_at=created_at)
    keys = {"target": result.target, "model": result.family, "window_start": result.window.start}
    inputs = pd.DataFrame([{**keys, "inputs_digest": result.inputs_digest, "created_at": created_at}])
    written, *_ = replace_keyed(
        conn, keys, {"forecasts": forecasts, "model_fits": fits, "window_inputs": inputs}
    )
    return written


def stored_windows(conn: duckdb.DuckDBPyConnection, target: str, model: str) -> dict[dt.date, StoredWindow]:
    """The windows of ``target`` x ``model`` in the store, by start: inputs digest and fitted params per symbol."""
    frame = conn.execute(read_sql("forecasting/stored_windows.sql"), {"target": target, "model": model}).df()
    windows: dict[dt.date, StoredWindow] = {}
    for start, rows in frame.groupby("window_start", sort=True):
        params = {str(r.symbol): json.loads(r.params) for r in rows.itertuples()}
        windows[pd.Timestamp(start).date()] = StoredWindow(str(rows["inputs_digest"].iloc[0]), params)
    return windows


def forecasts_quality(
    conn: duckdb.DuckDBPyConnection, target: str, model: str, window: DateWindow, skipped: Sequence[str] = ()
) -> QualityReport:
    """One model partition: finite, positive, non-crossing forecasts for every feature day of the window (but of
    the ``skipped`` symbols, which lacked the history to fit, and the days restarting after a gap, ``restarts``),
    from a model trained only on targets realised before the window."""
    params = {
        "target": target,
        "model": model,
        "window_start": window.start,
        "window_end": window.end,
        "skipped": list(skipped),
        **define_restarting_days(conn),
    }
    return QualityReport(counts(conn, "checks/forecasts_quality.sql", params))


def load_realised(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored forecast whose target has been realised, with the realised value, the horizon and proxy."""
    frame = conn.execute(read_sql("forecasting/realised.sql")).df()
    return frame.assign(date=pd.to_datetime(frame["date"]))


def load_member_history(conn: duckdb.DuckDBPyConnection, target: str, end: dt.date) -> pd.DataFrame:
    """Every stored forecast of ``target`` made before ``end`` (all models), with its realised value where it had
    realised before ``end`` (NaN otherwise), but on days restarting after a gap (``restarts``): what ensembles and
    interval calibrations learn from."""
    params = {"target": target, "end": end, **define_restarting_days(conn)}
    frame = conn.execute(read_sql("forecasting/member_history.sql"), params).df()
    return frame.assign(date=pd.to_datetime(frame["date"]), realised=frame["realised"].astype(float))


def load_realised_targets(conn: duckdb.DuckDBPyConnection, target: str, window: DateWindow) -> pd.DataFrame:
    """``symbol, date, realised``: every target of ``target`` dated in ``window`` that has realised by now (later
    than the window's end included): what scores the window's forecasts, never what fits or calibrates them."""
    frame = conn.execute(
        read_sql("forecasting/realised_targets.sql"), {"target": target, **window.params()}
    ).df()
    return frame.assign(date=pd.to_datetime(frame["date"]), realised=frame["realised"].astype(float))


def load_features_with_regime(
    conn: duckdb.DuckDBPyConnection, columns: Sequence[str], end: dt.date
) -> pd.DataFrame:
    """``symbol``, ``date``, the daily feature ``columns`` (names from code, never from users) and
    ``regime_turbulent`` (as in ``load_panel``) before ``end``."""
    selected = ", ".join(f"f.{column}" for column in columns)
    frame = conn.execute(
        f"SELECT f.symbol, f.date, {selected}, r.probability AS regime_turbulent FROM daily_features AS f "
        "LEFT JOIN regimes AS r ON r.symbol = f.symbol AND r.date = f.date AND r.regime = r.regimes - 1 "
        "WHERE f.date < $end ORDER BY f.symbol, f.date",
        {"end": end},
    ).df()
    return frame.assign(date=pd.to_datetime(frame["date"]))


def load_realised_intervals(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored prediction interval whose target has been realised, with the realised value."""
    frame = conn.execute(read_sql("forecasting/intervals_realised.sql")).df()
    return frame.assign(date=pd.to_datetime(frame["date"]))
