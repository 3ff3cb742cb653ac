"""targets: the mean of a daily proxy over t+1..t+h, absent until complete, never looking back into t."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features
from forge_core.targets import DEFAULT_TARGETS, TargetSpec, build_targets, parse_targets
from forge_core.warehouse.connection import open_warehouse
from tests.conftest import load_raw
from tests.core.test_features import read_table

SPECS = (*DEFAULT_TARGETS, TargetSpec("gk_10d", 10, "garman_klass"))


def build_all(path: Path, bars: pd.DataFrame, target_windows: list[DateWindow] | None = None) -> DateWindow:
    span = load_raw(path, bars)
    with open_warehouse(path) as conn:
        build_daily_features(conn, span)
        for window in target_windows or [span]:
            build_targets(conn, window, SPECS)
    return span


def expected_targets(features: pd.DataFrame) -> pd.DataFrame:
    """Independent pandas definition: y_t = mean(proxy_{t+1..t+h}), realised on the date of row t+h."""
    frames = []
    for spec in SPECS:
        for symbol, rows in features.groupby("symbol"):
            proxy = rows[f"{spec.proxy}_d"].to_numpy()
            dates = rows["date"].to_numpy()
            n = len(rows) - spec.horizon
            if n <= 0:
                continue
            values = [proxy[i + 1 : i + 1 + spec.horizon].mean() for i in range(n)]
            frames.append(
                pd.DataFrame(
                    {
                        "symbol": symbol,
                        "date": dates[:n],
                        "target": spec.name,
                        "value": values,
                        "realised_on": dates[spec.horizon :],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return SyntheticSource(3, seed=21, start=dt.date(2019, 1, 7)).load(
        dt.date(2019, 1, 7), dt.date(2020, 12, 31)
    )


def read_targets(path: Path) -> pd.DataFrame:
    frame = read_table(path, "targets")
    return frame.assign(realised_on=pd.to_datetime(frame["realised_on"]))


def test_targets_are_the_mean_proxy_over_the_next_h_days_and_absent_until_complete(
    tmp_path: Path, bars: pd.DataFrame
) -> None:
    path = tmp_path / "w.duckdb"
    build_all(path, bars)
    actual = read_targets(path).sort_values(["target", "symbol", "date"]).reset_index(drop=True)
    expected = (
        expected_targets(read_table(path)).sort_values(["target", "symbol", "date"]).reset_index(drop=True)
    )

    pd.testing.assert_frame_equal(
        actual[["symbol", "date", "target", "realised_on"]], expected.drop(columns="value"), check_dtype=False
    )
    np.testing.assert_allclose(actual["value"], expected["value"], rtol=1e-12)
    assert (actual["horizon"] == actual["target"].map({s.name: s.horizon for s in SPECS})).all()
    # the last h days of each symbol have no target: their window is incomplete, so the row is absent, not zero
    last_day = read_table(path).groupby("symbol")["date"].max()
    for spec in SPECS:
        rows = actual[actual["target"] == spec.name]
        assert (rows.groupby("symbol")["realised_on"].max() == last_day).all()
        assert (rows["date"] < rows["realised_on"]).all()


def test_targets_never_look_ahead_of_their_realisation_day(tmp_path: Path, bars: pd.DataFrame) -> None:
    cutoff = pd.Timestamp("2020-06-15")
    full, truncated = tmp_path / "full.duckdb", tmp_path / "truncated.duckdb"
    build_all(full, bars)
    build_all(truncated, bars[bars["date"] <= cutoff])
    known = read_targets(full)
    pd.testing.assert_frame_equal(
        read_targets(truncated), known[known["realised_on"] <= cutoff].reset_index(drop=True)
    )


def test_targets_built_window_by_window_equal_a_full_rebuild(tmp_path: Path, bars: pd.DataFrame) -> None:
    full, incremental = tmp_path / "full.duckdb", tmp_path / "incremental.duckdb"
    span = build_all(full, bars)
    cuts = [span.start, *(dt.date(y, m, 1) for y in (2019, 2020) for m in (2, 3, 5, 8, 11)), span.end]
    build_all(incremental, bars, [DateWindow(a, b) for a, b in itertools.pairwise(cuts)])
    pd.testing.assert_frame_equal(
        read_targets(incremental), read_targets(full), check_exact=False, rtol=1e-12
    )


def test_parse_targets_reads_names_horizons_and_proxies() -> None:
    assert parse_targets("rv_1d=1, gk_5d=5:garman_klass") == (
        TargetSpec("rv_1d", 1, "parkinson"),
        TargetSpec("gk_5d", 5, "garman_klass"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rv_1d", "'rv_1d' is not name=horizon"),
        ("rv=x", "horizon 'x' of rv is not a whole number of days >= 1"),
        ("rv=0", "horizon '0' of rv is not a whole number of days >= 1"),
        ("rv=5:vwap", "unknown proxy 'vwap'"),
        ("rv=1,rv=2", r"a name twice: \['rv'\]"),
        ("bad name=1", "'bad name=1' is not name=horizon"),
    ],
)
def test_parse_targets_rejects_bad_declarations(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_targets(text)
