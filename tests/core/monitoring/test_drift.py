"""Drift: Evidently finds a shifted column and not a steady one; the alarm needs drift on consecutive days; an empty
reference window is refused, naming the day; every champion's forecasts (an ensemble's too) get a calibrated
threshold, from the reference days up to the report's day only; a day's report reads, then writes its row."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from forge_core.data.synthetic import SyntheticSource
from forge_core.market_tables import build_market_tables
from forge_core.monitoring.drift import (
    DATE,
    MIN_NULL_WINDOWS,
    DriftSettings,
    EmptyReference,
    NoChampionForecasts,
    calibrated_drift,
    drift_frames,
    evidently_drift,
    ks_statistics,
    persistent_alarm,
    report_drift,
)
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl


def test_a_shifted_column_drifts_and_a_steady_one_does_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"steady": rng.normal(size=500), "shifted": rng.normal(size=500)})
    current = pd.DataFrame({"steady": rng.normal(size=200), "shifted": rng.normal(2.0, 1.0, size=200)})
    share, columns = evidently_drift(reference, current, tmp_path / "drift.html")
    assert share == 0.5 and columns["shifted"]["drifted"] and not columns["steady"]["drifted"]
    assert (tmp_path / "drift.html").stat().st_size > 10_000


def test_the_alarm_needs_persistence() -> None:
    assert not persistent_alarm([0.9, 0.9], 0.5, 3)  # too few reports yet
    assert not persistent_alarm([0.9, 0.1, 0.9], 0.5, 3)
    assert persistent_alarm([0.1, 0.6, 0.7, 0.9], 0.5, 3)


def ar1(rng: np.random.Generator, n: int, phi: float = 0.97, shift: float = 0.0) -> np.ndarray:
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.normal()
    return x + shift


def frame(values: np.ndarray, start: str) -> pd.DataFrame:
    return pd.DataFrame({DATE: pd.bdate_range(start, periods=len(values)), "x": values})


def test_history_calibrated_drift_ignores_autocorrelation_but_not_a_shift() -> None:
    rng = np.random.default_rng(1)
    series = ar1(rng, 2000)
    reference = frame(series[:500], "2010-01-04")
    steady = [
        calibrated_drift(reference, frame(series[i : i + 20], "2012-01-02"), 0.99).share
        for i in range(500, 2000, 20)
    ]
    assert np.mean(steady) < 0.1  # K-S p < 0.05 would flag most of these autocorrelated windows
    shifted = calibrated_drift(
        reference, frame(series[1980:2000] + 6 * series[:500].std(), "2012-01-02"), 0.99
    )
    x = shifted.columns["x"]
    assert shifted.share == 1.0 and not shifted.skipped and x["statistic"] > x["threshold"]


def test_a_reference_window_without_features_is_refused_naming_the_day() -> None:
    first = dt.date(2018, 1, 2)
    bars = SyntheticSource(1, start=first, today=dt.date(2018, 3, 30)).load(first, dt.date(2018, 3, 30))
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, bars, (TargetSpec("rv_1d", 1, "parkinson"),))
    with pytest.raises(
        EmptyReference, match=r"no daily features up to 2017-12-29 \(the champion's fitting day"
    ):
        drift_frames(conn, dt.date(2018, 3, 30), dt.date(2017, 12, 29), {}, DriftSettings())
    frames = drift_frames(conn, dt.date(2018, 3, 30), dt.date(2018, 2, 28), {}, DriftSettings())
    assert not frames.reference.empty and not frames.current.empty


def test_ks_statistics_equal_scipys_with_ties_and_gaps() -> None:
    """The base sorted once, each statistic scipy's ``ks_2samp(...).statistic`` up to the last bit (ties, NaN
    dropped, a sample above or below all of the base; scipy snaps small samples' statistic to a multiple of
    1/lcm(n1, n2))."""
    rng = np.random.default_rng(3)
    base = np.round(rng.normal(size=3000), 1)  # rounded: many ties
    base[::97] = np.nan
    samples = [
        np.round(rng.normal(loc, 1.0, size=n), 1) for loc, n in ((0.0, 40), (0.7, 5), (-9.0, 12), (0.0, 3000))
    ]
    samples[0][3] = np.nan
    expected = [ks_2samp(base[~np.isnan(base)], s[~np.isnan(s)]).statistic for s in samples]
    assert ks_statistics(base, samples) == pytest.approx(expected, rel=1e-12, abs=0)
    empty = np.array([np.nan])  # a column without values in the window: scipy gives NaN
    expected = ks_2samp(base, empty[~np.isnan(empty)]).statistic
    assert np.isnan(expected) and np.isnan(ks_statistics(base, [empty])[0])


FILLER = {"DOUBLE": 1.0, "INTEGER": 1, "VARCHAR": "-", "BOOLEAN": False, "DATE": dt.date(2000, 1, 3)}


def insert(conn: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame) -> None:
    """Append ``rows`` to ``table``, every column they lack filled with a value of its type."""
    kinds = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    filled = rows.assign(
        **{name: FILLER.get(kind, pd.Timestamp("2000-01-03")) for name, kind in kinds if name not in rows}
    )
    conn.register("filled", filled)
    conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM filled")
    conn.unregister("filled")


@pytest.fixture
def market() -> tuple[duckdb.DuckDBPyConnection, list[dt.date]]:
    """Two synthetic symbols' features 2015-2017 in a fresh warehouse, and its trading days."""
    first, last = dt.date(2015, 1, 2), dt.date(2017, 12, 29)
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(
        conn,
        SyntheticSource(2, start=first, today=last).load(first, last),
        (TargetSpec("rv_1d", 1, "parkinson"),),
    )
    days = [
        d.date() for d in conn.execute("SELECT DISTINCT date FROM daily_features ORDER BY date").df()["date"]
    ]
    return conn, days


def store_forecasts(
    conn: duckdb.DuckDBPyConnection,
    target: str,
    model: str,
    walk_forward: list[dt.date],
    published: list[dt.date],
    level: float = 0.0,
) -> None:
    """Forecasts of ``model`` for every symbol: autocorrelated walk-forward ones in ``forecasts`` on the days
    ``walk_forward``, and the champion's published ones in ``daily_forecasts`` on ``published``, ``level``
    standard deviations of the walk-forward log forecasts above their mean (give or take 0.2)."""
    rng = np.random.default_rng(0)
    for symbol in conn.execute("SELECT DISTINCT symbol FROM daily_features").df()["symbol"]:
        old = ar1(rng, len(walk_forward), phi=0.95) * 0.1 - 9.0
        new = old.mean() + (level + 0.2 * rng.uniform(-1, 1, len(published))) * old.std()
        common = {"symbol": symbol, "target": target, "model": model}
        insert(conn, "forecasts", pd.DataFrame({"date": walk_forward, "forecast": np.exp(old), **common}))
        insert(
            conn,
            "daily_forecasts",
            pd.DataFrame({"as_of": published, "forecast": np.exp(new), "role": "champion", **common}),
        )


def test_a_champions_forecasts_three_standard_deviations_up_drift_and_unshifted_ones_do_not(
    market: tuple[duckdb.DuckDBPyConnection, list[dt.date]],
) -> None:
    """The rv_1d champion is an ensemble, read under its own name; both champions' walk-forward forecasts start 200
    days into the 500-day reference (what made the threshold NaN: windows before it had no values)."""
    conn, days = market
    fitted, today = days[-25], days[-1]  # the champions were fitted a month before the report's day
    reference = days[: days.index(fitted) + 1][-500:]
    store_forecasts(conn, "rv_1d", "ensemble_equal", reference[200:], days[-5:], level=3.0)
    store_forecasts(conn, "rv_5d", "har", reference[200:], days[-5:])
    champions = {"rv_1d": "ensemble_equal", "rv_5d": "har"}
    frames = drift_frames(conn, today, fitted, champions, DriftSettings())
    calibrated = calibrated_drift(frames.reference, frames.current, DriftSettings.quantile)
    assert (
        not frames.skipped
        and not calibrated.skipped
        and (frames.reference_span, frames.current_span) == ((reference[0], fitted), (days[-5], today))
    )
    shifted, steady = calibrated.columns["log_forecast_rv_1d"], calibrated.columns["log_forecast_rv_5d"]
    assert np.isfinite([shifted["threshold"], steady["threshold"]]).all()
    assert shifted["drifted"] and not steady["drifted"]


def test_forecasts_too_short_to_calibrate_are_skipped_saying_why(
    market: tuple[duckdb.DuckDBPyConnection, list[dt.date]],
) -> None:
    conn, days = market
    store_forecasts(conn, "rv_5d", "har", days[-50:], days[-5:])  # 10 windows of 5 days in the reference
    champions = {"rv_1d": "ensemble_equal", "rv_5d": "har"}
    frames = drift_frames(conn, days[-1], days[-1], champions, DriftSettings())
    assert frames.skipped["log_forecast_rv_1d"] == (
        f"no walk-forward forecasts of ensemble_equal in the reference {days[-500]} .. {days[-1]}: backfill its "
        "walk-forward windows there"
    )
    calibrated = calibrated_drift(frames.reference, frames.current, DriftSettings.quantile)
    assert "log_forecast_rv_5d" not in calibrated.columns and calibrated.skipped == {
        "log_forecast_rv_5d": "only 10 windows of 5 days in the reference have its values on every day, "
        f"{MIN_NULL_WINDOWS} needed to calibrate its threshold"
    }


def test_nothing_after_the_reports_day_calibrates(
    market: tuple[duckdb.DuckDBPyConnection, list[dt.date]],
) -> None:
    """A champion fitted after the report's day: its reference stops at the day, and deleting every row after the
    day changes nothing."""
    conn, days = market
    day = days[-60]
    store_forecasts(conn, "rv_5d", "har", days[-400:-55], days[-64:-59] + days[-5:])
    settings, champions = DriftSettings(), {"rv_5d": "har"}

    def report() -> tuple[tuple[dt.date, dt.date], dict[str, dict[str, float | bool]]]:
        frames = drift_frames(conn, day, days[-1], champions, settings)
        return frames.reference_span, calibrated_drift(
            frames.reference, frames.current, settings.quantile
        ).columns

    before = report()
    for table, column in (("daily_features", "date"), ("forecasts", "date"), ("daily_forecasts", "as_of")):
        conn.execute(f"DELETE FROM {table} WHERE {column} > ?", [day])
    assert before == report() and before[0][1] == day and "log_forecast_rv_5d" in before[1]


def test_a_days_report_reads_then_writes_its_row_and_a_day_without_champions_is_refused(
    market: tuple[duckdb.DuckDBPyConnection, list[dt.date]], tmp_path: Path
) -> None:
    """One read-only connection, then one writable connection for the row; a day no champion was published on is
    refused, naming the day, before anything is written."""
    conn, days = market
    fitted = days[-25]
    store_forecasts(conn, "rv_5d", "har", days[-400:-24], days[-5:])
    conn.execute("UPDATE daily_forecasts SET fitted_as_of = ?", [fitted])
    opened: list[bool] = []

    @contextmanager
    def open_warehouse(*, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        opened.append(read_only)
        yield conn

    with pytest.raises(
        NoChampionForecasts,
        match=f"no champion forecasts published on {days[-6]}: run daily_forecasts for it first",
    ):
        report_drift(open_warehouse, days[-6], DriftSettings(), tmp_path / "refused.html")
    result = report_drift(open_warehouse, days[-1], DriftSettings(), tmp_path / "drift.html")
    assert opened == [True, True, False] and result.html.is_file()
    assert (result.reference[1], result.current) == (fitted, (days[-5], days[-1]))
    assert "log_forecast_rv_5d" in result.columns and not result.alarm  # the first report: no earlier days
    row = conn.execute(
        "SELECT day, drift_share, drifted_columns, alarm, reference_end FROM drift_reports"
    ).fetchall()
    assert row == [(days[-1], result.drift_share, json.dumps(result.drifted_columns), False, fitted)]
