"""Drift: Evidently finds a shifted column and not a steady one; the alarm needs drift on consecutive days; an empty
reference window is refused, naming the day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from forge_core.data.synthetic import SyntheticSource
from forge_core.monitoring.drift import (
    DATE,
    DriftSettings,
    EmptyReference,
    calibrated_drift,
    drift_frames,
    evidently_drift,
    ks_statistics,
    persistent_alarm,
)
from forge_core.pipeline import build_market_tables
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
        calibrated_drift(reference, frame(series[i : i + 20], "2012-01-02"), 0.99)[0]
        for i in range(500, 2000, 20)
    ]
    assert np.mean(steady) < 0.1  # K-S p < 0.05 would flag most of these autocorrelated windows
    shifted = frame(series[1980:2000] + 6 * series[:500].std(), "2012-01-02")
    share, columns = calibrated_drift(reference, shifted, 0.99)
    assert share == 1.0 and columns["x"]["statistic"] > columns["x"]["threshold"]


def test_a_reference_window_without_features_is_refused_naming_the_day() -> None:
    first = dt.date(2018, 1, 2)
    bars = SyntheticSource(1, start=first, today=dt.date(2018, 3, 30)).load(first, dt.date(2018, 3, 30))
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, bars, (TargetSpec("rv_1d", 1, "parkinson"),))
    with pytest.raises(
        EmptyReference, match=r"no daily features up to 2017-12-29, the champion's fitting day"
    ):
        drift_frames(conn, dt.date(2018, 3, 30), dt.date(2017, 12, 29), {}, DriftSettings())
    reference, current, *_ = drift_frames(
        conn, dt.date(2018, 3, 30), dt.date(2018, 2, 28), {}, DriftSettings()
    )
    assert not reference.empty and not current.empty


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
