"""Drift of the features and of the champions' forecasts, with Evidently 0.7, and an alarm that survives their
autocorrelation.

Each day compares the last ``current_days`` trading days with a reference: the ``reference_days`` trading days up
to the champion's fitting day (the most recent part of what it was trained on), or up to the report's day if that
is earlier, so nothing after the day enters. Symbols differ in level, so every column is standardised per symbol
with the reference's mean and standard deviation before the symbols are pooled. Columns: the model inputs in
``DRIFT_COLUMNS`` and, per target, the log of the champion's forecast: for the reference, the out-of-sample
walk-forward forecasts stored in ``forecasts`` under the champion's model (a family, or an ensemble such as
``ensemble_equal``); for the current days, the published ones.

Evidently's per-column two-sample tests (its default choice per column, K-S p < 0.05 here) treat days as
independent; daily volatility features are strongly autocorrelated, so a few current days are never an independent
sample, and on calm years of the bundled data Evidently's rule flags 55-100% of the days
(``benchmarks/drift.py``). The alarm therefore calibrates each column on its own history
(``calibrated_drift``): the K-S statistic of the current days against the reference is compared with the
``quantile`` of the statistics of windows of the same length taken from the reference itself, which carry the
same autocorrelation; and the share of columns drifted so must stay above ``threshold`` on ``persistence``
consecutive report days (``persistent_alarm``). Evidently's report (HTML, its own tests) is kept beside it.
``report_drift`` runs one day's report from the warehouse and writes its row.

The current window is 5 days: on the synthetic market whose volatility doubles (``benchmarks/operations.py``'s
shift) the alarm rises 7 trading days after the shift with 5 days, 15 with 20; on the calm years both raise it on
0-2% of days (5 days: 3 days of 2014; 20 days: 5 days of 2016), and a long crisis (2008) on 21% of days with 5
and 42% with 20 (``benchmarks/results/drift_*``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pandas as pd

from forge_core.evaluation.losses import FloatArray
from forge_core.roles import Role
from forge_core.warehouse.partition_writes import replace_keyed

DRIFT_COLUMNS = (
    "log_parkinson_d", "log_parkinson_w", "log_parkinson_m", "log_return", "log_range", "neg_return_w",
    "volume_z", "vix_level",
)  # fmt: skip
MIN_SCALE = 1e-12
DATE = "date"
NULL_STEP = 5  # days between the starts of the reference windows that calibrate a column's threshold
MIN_NULL_WINDOWS = 20  # fewer windows calibrate no threshold (see ``calibrated_drift``)
EVIDENTLY_VS_ALARM = (
    "Evidently's dataset drift tests every column at a fixed p-value (K-S p < 0.05) as if the days were "
    "independent, so on autocorrelated daily data it flags most calm days, while the alarm compares each "
    "column's K-S statistic with a threshold calibrated on that column's own history, so that calm years rarely "
    "raise it."
)


@dataclass(frozen=True)
class DriftSettings:
    current_days: int = 5
    reference_days: int = 500
    threshold: float = 0.5  # share of drifted columns
    persistence: int = 3  # consecutive report days over the threshold before the alarm
    quantile: float = 0.99  # a column drifts when its K-S statistic exceeds this quantile of its own history


@dataclass(frozen=True)
class DriftResult:
    """One day's drift report (``report_drift``).

    Attributes
    ----------
    day : datetime.date
        The report's day.
    reference, current : tuple of datetime.date
        First and last day of the reference and of the current window.
    drift_share : float
        Share of the calibrated columns drifted against their own history (``calibrated_drift``).
    columns : dict
        Per calibrated column: ``statistic``, ``threshold`` and ``drifted``.
    evidently_share : float
        Evidently's own share of drifted columns.
    html : Path
        Evidently's report.
    skipped_columns : dict
        Per column left out, why.
    alarm : bool
        Whether the share stayed above the threshold on enough consecutive days (``persistent_alarm``).
    """

    day: dt.date
    reference: tuple[dt.date, dt.date]
    current: tuple[dt.date, dt.date]
    drift_share: float
    columns: dict[str, dict[str, Any]]
    evidently_share: float
    html: Path
    skipped_columns: dict[str, str]
    alarm: bool

    @property
    def drifted_columns(self) -> list[str]:
        """The columns that drifted, sorted."""
        return sorted(c for c, entry in self.columns.items() if entry["drifted"])


@dataclass(frozen=True)
class DriftFrames:
    """The rows one day's report compares (``drift_frames``).

    Attributes
    ----------
    reference, current : pd.DataFrame
        The reference's and the current window's rows, each column standardised per symbol, the day in ``DATE``.
    skipped : dict
        Per column left out, why.
    reference_span, current_span : tuple of datetime.date
        First and last day of each window.
    """

    reference: pd.DataFrame
    current: pd.DataFrame
    skipped: dict[str, str]
    reference_span: tuple[dt.date, dt.date]
    current_span: tuple[dt.date, dt.date]


@dataclass(frozen=True)
class CalibratedDrift:
    """Every column's K-S statistic against its own history (``calibrated_drift``).

    Attributes
    ----------
    share : float
        Drifted columns over calibrated columns.
    columns : dict
        Per calibrated column: ``statistic``, ``threshold`` and ``drifted``.
    skipped : dict
        Per column with fewer than ``MIN_NULL_WINDOWS`` windows, why.
    """

    share: float
    columns: dict[str, dict[str, float | bool]]
    skipped: dict[str, str]


class OpenWarehouse(Protocol):
    """Opens a short-lived warehouse connection, read-only or writable (``WarehouseResource.open``)."""

    def __call__(self, *, read_only: bool = False) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...


class EmptyReference(ValueError):
    """No reference rows to compare with (the champion's training window holds no features)."""


class NoChampionForecasts(ValueError):
    """No champion forecasts were published on the report's day."""


def _standardised(
    reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames with each column standardised per symbol by the reference's mean and std, symbols pooled (and
    the row's day in ``DATE``, which is not a column to test)."""
    stats = reference.groupby("symbol")[list(columns)].agg(["mean", "std"])
    out = []
    for frame in (reference, current):
        scaled = pd.DataFrame({DATE: pd.to_datetime(frame["date"])}, index=frame.index)
        for column in columns:
            mean = frame["symbol"].map(stats[(column, "mean")])
            std = frame["symbol"].map(stats[(column, "std")]).clip(lower=MIN_SCALE)
            scaled[column] = (frame[column] - mean) / std
        out.append(scaled)
    return out[0], out[1]


def drift_frames(
    conn: duckdb.DuckDBPyConnection,
    day: dt.date,
    reference_end: dt.date,
    champions: dict[str, str],
    settings: DriftSettings,
) -> DriftFrames:
    """Reference and current rows (standardised per symbol), columns skipped with why, and the two date spans.

    ``reference_end``: the champion's fitting day (a later one counts as ``day``: no row after ``day`` is read);
    ``champions``: target -> the champion's model, whose forecasts are stored under that name. ``EmptyReference``
    without reference rows."""
    features = conn.execute(
        f"SELECT symbol, date, {', '.join(DRIFT_COLUMNS)} FROM daily_features WHERE date <= ? ORDER BY date",
        [day],
    ).df()
    days = sorted(features["date"].unique())
    ref_days = [d for d in days if d <= pd.Timestamp(reference_end)][-settings.reference_days :]
    cur_days = days[-settings.current_days :]
    if not ref_days:
        raise EmptyReference(
            f"no daily features up to {min(reference_end, day)} (the champion's fitting day, or the report's day "
            "if earlier): nothing to compare with"
        )
    ref_span = (pd.Timestamp(ref_days[0]).date(), pd.Timestamp(ref_days[-1]).date())
    cur_span = (pd.Timestamp(cur_days[0]).date(), pd.Timestamp(cur_days[-1]).date())
    reference = features[features["date"].isin(ref_days)].copy()
    current = features[features["date"].isin(cur_days)].copy()
    skipped: dict[str, str] = {}
    columns = [c for c in DRIFT_COLUMNS if reference[c].notna().any() and current[c].notna().any()]
    skipped |= {c: "no values in one of the windows" for c in DRIFT_COLUMNS if c not in columns}
    for target, model in champions.items():
        column = f"log_forecast_{target}"
        old = conn.execute(
            "SELECT symbol, date, ln(forecast) AS value FROM forecasts WHERE target = ? AND model = ? "
            "AND date >= ? AND date <= ?",
            [target, model, ref_days[0], ref_days[-1]],
        ).df()
        new = conn.execute(
            "SELECT symbol, as_of AS date, ln(forecast) AS value FROM daily_forecasts WHERE target = ? "
            "AND role = ? AND as_of >= ? AND as_of <= ?",
            [target, Role.CHAMPION.value, cur_days[0], cur_days[-1]],
        ).df()
        if old.empty:
            skipped[column] = (
                f"no walk-forward forecasts of {model} in the reference {ref_span[0]} .. {ref_span[1]}: backfill "
                "its walk-forward windows there"
            )
            continue
        if new.empty:
            skipped[column] = (
                f"no published champion forecasts in the current days {cur_span[0]} .. {cur_span[1]}"
            )
            continue
        reference = reference.merge(old.rename(columns={"value": column}), on=["symbol", "date"], how="left")
        current = current.merge(new.rename(columns={"value": column}), on=["symbol", "date"], how="left")
        columns.append(column)
    ref, cur = _standardised(reference, current, columns)
    return DriftFrames(ref, cur, skipped, ref_span, cur_span)


def evidently_drift(
    reference: pd.DataFrame, current: pd.DataFrame, html: Path
) -> tuple[float, dict[str, dict[str, Any]]]:
    """Evidently's DataDriftPreset (its default test per column) on the two frames: the share of drifted columns
    and, per column, the method, score, threshold and whether it drifted (its test failed); the report as HTML."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        current_data=current, reference_data=reference
    )
    html.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(html))
    doc = snapshot.dict()
    status = {
        t["metric_config"]["metric_id"]: t["status"] for t in doc.get("tests", []) if t.get("id") == "drift"
    }
    columns: dict[str, dict[str, Any]] = {}
    share = float("nan")
    for metric in doc["metrics"]:
        config, value = metric["config"], metric["value"]
        if config["type"].endswith("DriftedColumnsCount"):
            share = float(value["share"])
        elif config["type"].endswith("ValueDrift"):
            columns[str(config["column"])] = {
                "method": str(config.get("method")),
                "threshold": config.get("threshold"),
                "score": float(value),
                "drifted": status.get(metric["id"]) == "FAIL",  # FAIL: the column's drift test rejected
            }
    return share, columns


def calibrated_drift(reference: pd.DataFrame, current: pd.DataFrame, quantile: float) -> CalibratedDrift:
    """Every column's K-S statistic against a threshold calibrated on its own history.

    For a column with reference values :math:`R` on the reference's days :math:`d_1 < \\dots < d_N`, current
    values :math:`C` on :math:`w` days, and :math:`R_k` its values on the window :math:`d_k, \\dots, d_{k+w-1}`,

    .. math::

        \\tau = Q_q\\left(\\{D(R, R_k) : k \\in K\\}\\right), \\qquad
        K = \\{k = 1, 1 + s, 1 + 2s, \\dots : \\text{the column has a value on each of }
        d_k, \\dots, d_{k+w-1}\\},

    with :math:`D` the K-S statistic (``ks_statistics``), :math:`Q_q` the ``quantile`` and :math:`s` =
    ``NULL_STEP``; the column drifts when :math:`D(R, C) > \\tau`. A window missing a day is left out: without
    values its statistic is NaN, which would make :math:`\\tau` NaN and the column never drift (a champion's
    walk-forward forecasts often start inside the reference), and with fewer values it runs larger than a full
    window's. A column needs :math:`|K| \\ge` ``MIN_NULL_WINDOWS``: a calm window exceeds the largest of
    :math:`m` such statistics with probability about :math:`1/(m + 1)`, under 5% from 20 on. The windows lie in the
    reference, which ends by the report's day (``drift_frames``): no later value calibrates.
    """
    days = np.sort(reference[DATE].unique())
    width = current[DATE].nunique()
    starts = np.arange(0, len(days) - width + 1, NULL_STEP)
    position = np.searchsorted(days, reference[DATE].to_numpy())  # each row's day, as an index into days
    windows = [(position >= i) & (position < i + width) for i in starts]
    columns: dict[str, dict[str, float | bool]] = {}
    skipped: dict[str, str] = {}
    for column in (c for c in reference.columns if c != DATE):
        values = reference[column].to_numpy(dtype=float)
        valued = np.zeros(len(days) + 1, dtype=int)
        valued[1:][position[~np.isnan(values)]] = 1
        covered = np.cumsum(valued)  # days with values before each day index
        full = [w for i, w in zip(starts, windows, strict=True) if covered[i + width] - covered[i] == width]
        if len(full) < MIN_NULL_WINDOWS:
            skipped[column] = (
                f"only {len(full)} windows of {width} days in the reference have its values on every day, "
                f"{MIN_NULL_WINDOWS} needed to calibrate its threshold"
            )
            continue
        statistic, *null = ks_statistics(
            values, [current[column].to_numpy(dtype=float), *(values[w] for w in full)]
        )
        threshold = float(np.quantile(null, quantile))
        columns[column] = {"statistic": statistic, "threshold": threshold, "drifted": statistic > threshold}
    share = sum(bool(c["drifted"]) for c in columns.values()) / max(len(columns), 1)
    return CalibratedDrift(share, columns, skipped)


def ks_statistics(base: FloatArray, samples: Sequence[FloatArray]) -> list[float]:
    """The two-sample Kolmogorov-Smirnov statistic of ``base`` against each of ``samples`` (NaN dropped),

    .. math::

        D = \\max_{x \\in \\text{both samples}} \\left| F_{base}(x) - F_{sample}(x) \\right|,

    with the empirical CDFs counting ties as scipy's ``ks_2samp`` does (``searchsorted(side="right")``), so each
    value is its ``statistic`` (to the last bit); ``base`` is sorted once for every sample (the reference of 500
    symbols x 500 days is compared with a hundred windows per column); NaN where a sample is empty, as scipy gives."""
    data1 = np.sort(base[~np.isnan(base)])
    n1 = len(data1)
    own1 = np.searchsorted(data1, data1, side="right") / n1
    statistics = []
    for sample in samples:
        data2 = np.sort(sample[~np.isnan(sample)])
        n2 = len(data2)
        if min(n1, n2) == 0:  # as scipy: no statistic, and no drift
            statistics.append(float("nan"))
            continue
        diffs = np.concatenate(
            [
                own1 - np.searchsorted(data2, data1, side="right") / n2,
                np.searchsorted(data1, data2, side="right") / n1
                - np.searchsorted(data2, data2, side="right") / n2,
            ]
        )
        statistics.append(float(max(diffs.max(), np.clip(-diffs.min(), 0.0, 1.0))))
    return statistics


def persistent_alarm(shares: Sequence[float], threshold: float, persistence: int) -> bool:
    """Whether the last ``persistence`` report days (oldest first in ``shares``) all drifted above
    ``threshold``."""
    recent = list(shares)[-persistence:]
    return len(recent) == persistence and all(s > threshold for s in recent)


def earlier_shares(conn: duckdb.DuckDBPyConnection, day: dt.date, count: int) -> list[float]:
    """The drift shares of the last ``count`` reports before ``day``, oldest first."""
    rows = conn.execute(
        "SELECT drift_share FROM drift_reports WHERE day < ? ORDER BY day DESC LIMIT ?", [day, count]
    ).fetchall()
    return [float(r[0]) for r in reversed(rows)]


def write_report(conn: duckdb.DuckDBPyConnection, result: DriftResult) -> None:
    """Replace the ``drift_reports`` row of the result's day."""
    row = pd.DataFrame(
        [
            {
                "day": result.day,
                "drift_share": result.drift_share,
                "drifted_columns": json.dumps(result.drifted_columns),
                "alarm": result.alarm,
                "reference_start": result.reference[0],
                "reference_end": result.reference[1],
                "current_start": result.current[0],
                "current_end": result.current[1],
                "report": str(result.html),
                "created_at": pd.Timestamp.now(tz="UTC").tz_localize(None),
            }
        ]
    )
    replace_keyed(conn, {"day": result.day}, {"drift_reports": row})


def report_drift(
    open_warehouse: OpenWarehouse, day: dt.date, settings: DriftSettings, html: Path
) -> DriftResult:
    """``day``'s drift report of the champions published on it, its row written to ``drift_reports`` and
    Evidently's report to ``html``.

    The rows are read on a read-only connection, closed before the tests run (Evidently's take seconds); the row is
    written on a writable one. ``NoChampionForecasts`` when no champion forecast was published on ``day``,
    ``EmptyReference`` without reference rows (``drift_frames``)."""
    with open_warehouse(read_only=True) as conn:
        champions = conn.execute(
            "SELECT DISTINCT target, model, fitted_as_of FROM daily_forecasts WHERE as_of = ? AND role = ?",
            [day, Role.CHAMPION.value],
        ).df()
        if champions.empty:
            raise NoChampionForecasts(
                f"no champion forecasts published on {day}: run daily_forecasts for it first"
            )
        frames = drift_frames(
            conn,
            day,
            champions["fitted_as_of"].min().date(),
            dict(zip(champions["target"], champions["model"], strict=True)),
            settings,
        )
        before = earlier_shares(conn, day, settings.persistence - 1)
    evidently_share, _ = evidently_drift(frames.reference, frames.current, html)
    calibrated = calibrated_drift(frames.reference, frames.current, settings.quantile)
    result = DriftResult(
        day,
        frames.reference_span,
        frames.current_span,
        calibrated.share,
        calibrated.columns,
        evidently_share,
        html,
        frames.skipped | calibrated.skipped,
        persistent_alarm([*before, calibrated.share], settings.threshold, settings.persistence),
    )
    with open_warehouse() as conn:
        write_report(conn, result)
    return result
