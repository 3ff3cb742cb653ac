"""Resuming a killed backfill: windows already stored from identical inputs are kept, and the result equals an
unbroken run, warm starts included; any change of inputs refits."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import monthly_windows
from forge_core.forecasting.forecast_store import stored_windows, write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import open_warehouse

SPEC = DEFAULT_TARGETS[1]  # rv_5d
WINDOWS = monthly_windows(dt.date(2019, 1, 1), dt.date(2019, 6, 30))
SCHEME = TrainingScheme()
CODE = "commit-a"


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    first, today = dt.date(2015, 1, 5), dt.date(2019, 12, 31)
    path = tmp_path_factory.mktemp("resume") / "w.duckdb"
    with open_warehouse(path) as conn:
        build_market_tables(
            conn, SyntheticSource(2, seed=5, start=first, today=today).load(first, today), (SPEC,)
        )
    return path


def backfill(path: Path, family: str, windows: list, code: str = CODE, resume: bool = True) -> list[bool]:
    """Walk ``windows`` as a run does (resuming from what is stored unless told not to); which were kept."""
    with open_warehouse(path) as conn:
        panel = load_panel(conn, SPEC, max(w.end for w in windows))
        stored = stored_windows(conn, SPEC.name, family) if resume else {}
        kept = []
        for result in walk_forward(panel, SPEC, family, windows, SCHEME, stored=stored, code=code):
            kept.append(result.reused)
            if not result.reused:
                write_window(conn, result, SCHEME)
    return kept


def forecasts(path: Path, family: str) -> pd.DataFrame:
    with open_warehouse(path, read_only=True) as conn:
        return conn.execute(
            "SELECT * EXCLUDE (created_at) FROM forecasts WHERE model = $m ORDER BY ALL", {"m": family}
        ).df()


@pytest.mark.parametrize("family", ["gjr_garch", "har"])  # GARCH refits warm-start from the previous window
def test_a_resumed_backfill_keeps_finished_windows_and_equals_an_unbroken_one(
    market: Path, tmp_path: Path, family: str
) -> None:
    unbroken, resumed = (Path(market).rename(tmp_path / "a.duckdb"), tmp_path / "b.duckdb")
    resumed.write_bytes(unbroken.read_bytes())
    try:
        assert backfill(unbroken, family, WINDOWS) == [False] * 6

        assert (
            backfill(resumed, family, WINDOWS[:3]) == [False] * 3
        )  # the run that was killed after 3 windows
        assert backfill(resumed, family, WINDOWS) == [True] * 3 + [False] * 3  # the re-run resumes there
        pd.testing.assert_frame_equal(forecasts(resumed, family), forecasts(unbroken, family))

        assert backfill(resumed, family, WINDOWS) == [True] * 6  # nothing left to do
        assert backfill(resumed, family, WINDOWS, resume=False) == [False] * 6  # recompute: refits everything
        pd.testing.assert_frame_equal(forecasts(resumed, family), forecasts(unbroken, family))
    finally:
        unbroken.rename(market)


def test_changed_inputs_refit_the_windows_they_reach(market: Path) -> None:
    assert backfill(market, "ewma", WINDOWS) == [False] * 6
    assert backfill(market, "ewma", WINDOWS, code="commit-b") == [False] * 6  # another code version
    with open_warehouse(market) as conn:  # a corrected March day: March's window forecasts from it
        conn.execute(
            "UPDATE daily_features SET parkinson_d = parkinson_d * 1.5 WHERE date = DATE '2019-03-14'"
        )
    assert backfill(market, "ewma", WINDOWS, code="commit-b") == [True] * 2 + [False] * 4
    other = dataclasses.replace(SCHEME, min_rows=300)
    with open_warehouse(market) as conn:
        panel = load_panel(conn, SPEC, WINDOWS[-1].end)
        stored = stored_windows(conn, SPEC.name, "ewma")
        results = walk_forward(panel, SPEC, "ewma", WINDOWS, other, stored=stored, code="commit-b")
        assert not any(r.reused for r in results)  # another scheme


def test_a_partial_last_window_is_refit_once_more_days_arrive(tmp_path: Path) -> None:
    """Data ending mid-March: March's window forecasts the days there are. When the rest of March arrives, the
    window's digest changes (it sees new rows) and a re-run refits it; the complete months before are kept."""
    first, windows = dt.date(2015, 1, 5), WINDOWS[1:3]  # February, March
    path = tmp_path / "w.duckdb"
    digests = []
    for last in (dt.date(2019, 3, 15), dt.date(2019, 3, 29)):
        with open_warehouse(path) as conn:
            bars = SyntheticSource(2, seed=5, start=first, today=last).load(first, last)
            build_market_tables(conn, bars, (SPEC,))
        kept = backfill(path, "ewma", windows)
        with open_warehouse(path, read_only=True) as conn:
            digests.append(stored_windows(conn, SPEC.name, "ewma")[windows[1].start].inputs_digest)
            (march,) = conn.execute(
                "SELECT max(date) FROM forecasts WHERE model = 'ewma' AND window_start = $w",
                {"w": windows[1].start},
            ).fetchone()
        assert pd.Timestamp(march).date() == last
    assert kept == [True, False]  # the second run: February kept, March refit
    assert digests[0] != digests[1]
    assert backfill(path, "ewma", windows) == [True, True]  # nothing changed since: both kept


def test_a_column_only_some_models_read_refits_only_those(tmp_path: Path, market: Path) -> None:
    """The daily job adds a regime probability for the live day (``regimes``): the nets read it, HAR does not.
    A re-run keeps HAR's window (its digest covers the columns it declares, ``input_columns``) and refits when a
    column HAR reads changes."""
    path = tmp_path / "w.duckdb"
    path.write_bytes(market.read_bytes())
    windows = WINDOWS[-1:]
    assert backfill(path, "har", windows) == [False]
    with open_warehouse(path) as conn:
        conn.execute(
            "INSERT INTO regimes SELECT DISTINCT symbol, DATE '2019-06-28', DATE '2019-06-01', 2, 1, 0.9, "
            "now()::TIMESTAMP FROM daily_features"
        )
    assert backfill(path, "har", windows) == [True]  # HAR never reads regime_turbulent
    with open_warehouse(path) as conn:
        conn.execute(
            "UPDATE daily_features SET parkinson_w = parkinson_w * 1.5 WHERE date = DATE '2019-06-28'"
        )
    assert backfill(path, "har", windows) == [False]  # one of its own inputs changed
