"""Walk-forward backtest: the purge, no look-ahead, complete and deterministic forecasts, training schemes, windows
and idempotent forecast partitions, on a real DuckDB warehouse built from the synthetic market."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow, monthly_windows, yearly_windows
from forge_core.forecasting.forecast_store import write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import (
    FORECAST_COLUMNS,
    ShortHistory,
    StoredWindow,
    TrainingScheme,
    WindowResult,
    forecast_window,
    purged_training_rows,
    walk_forward,
)
from forge_core.market_tables import build_market_tables
from forge_core.models import families
from forge_core.quantiles import QUANTILE_COLUMNS
from forge_core.targets import DEFAULT_TARGETS, TargetSpec
from forge_core.warehouse.connection import open_warehouse

SPECS: tuple[TargetSpec, ...] = (*DEFAULT_TARGETS, TargetSpec("gk_10d", 10, "garman_klass"))
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}
# every baseline, and the quickest net (the nets' own training is tested in tests/core/nets)
FAMILIES = [*families("baselines"), "mlp"]
GARCH_FAMILIES = {"garch", "gjr_garch"}
FIRST_DAY = dt.date(2015, 1, 5)
TODAY = dt.date(2019, 12, 31)
SYMBOLS = ["SYN000", "SYN001", "SYN002"]
EXPANDING = TrainingScheme()
# An early window (barely 250 purged rows for h=22), one starting on a Saturday, one a month before the data ends.
PURGE_WINDOWS = [
    DateWindow(dt.date(2016, 3, 1), dt.date(2016, 4, 1)),
    DateWindow(dt.date(2018, 9, 1), dt.date(2018, 10, 1)),
    DateWindow(dt.date(2019, 11, 1), dt.date(2019, 12, 1)),
]
LOOKAHEAD_WINDOW = DateWindow(dt.date(2018, 6, 1), dt.date(2018, 7, 1))
OUTPUT_COLUMNS = ["forecast", *QUANTILE_COLUMNS]

Panels = dict[str, pd.DataFrame]
Runner = Callable[[str, str, DateWindow], WindowResult]


def build_warehouse(path: Path, bars: pd.DataFrame) -> DateWindow:
    with open_warehouse(path) as conn:
        return build_market_tables(conn, bars, SPECS)


def read_panels(path: Path, end: dt.date) -> Panels:
    with open_warehouse(path, read_only=True) as conn:
        return {spec.name: load_panel(conn, spec, end) for spec in SPECS}


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return SyntheticSource(3, seed=5, start=FIRST_DAY, today=TODAY).load(FIRST_DAY, TODAY)


@pytest.fixture(scope="module")
def panels(tmp_path_factory: pytest.TempPathFactory, bars: pd.DataFrame) -> Panels:
    path = tmp_path_factory.mktemp("walk_forward") / "warehouse.duckdb"
    span = build_warehouse(path, bars)
    return read_panels(path, span.end)


@pytest.fixture(scope="module")
def truncated_panels(tmp_path_factory: pytest.TempPathFactory, bars: pd.DataFrame) -> Panels:
    """Panels of a warehouse that never saw a day on or after the end of LOOKAHEAD_WINDOW."""
    path = tmp_path_factory.mktemp("truncated") / "warehouse.duckdb"
    build_warehouse(path, bars[bars["date"] < pd.Timestamp(LOOKAHEAD_WINDOW.end)])
    return read_panels(path, LOOKAHEAD_WINDOW.end)


@pytest.fixture(scope="module")
def run(panels: Panels) -> Runner:
    """forecast_window on the full panel with the expanding scheme, each (family, target, window) computed once."""
    cache: dict[tuple[str, str, DateWindow], WindowResult] = {}

    def _run(family: str, target: str, window: DateWindow) -> WindowResult:
        key = (family, target, window)
        if key not in cache:
            cache[key] = forecast_window(panels[target], SPEC_BY_NAME[target], family, window, EXPANDING)
        return cache[key]

    return _run


def symbol_rows(panel: pd.DataFrame, symbol: str) -> pd.DataFrame:
    return panel[panel["symbol"] == symbol].reset_index(drop=True)


def history_of(panel: pd.DataFrame, symbol: str, window: DateWindow) -> pd.DataFrame:
    """What forecast_window sees of a symbol: its rows dated before the window's end."""
    rows = symbol_rows(panel, symbol)
    return rows[rows["date"] < pd.Timestamp(window.end)].reset_index(drop=True)


def first_window_row(history: pd.DataFrame, window: DateWindow) -> int:
    return int(history["date"].searchsorted(pd.Timestamp(window.start)))


# -- the purge --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [spec.name for spec in SPECS])
def test_purge_keeps_exactly_the_rows_whose_target_window_ended_before_the_window(
    panels: Panels, target: str
) -> None:
    h = SPEC_BY_NAME[target].horizon
    panel = panels[target]
    for window, symbol in itertools.product(PURGE_WINDOWS, SYMBOLS):
        full = symbol_rows(panel, symbol)
        history = history_of(panel, symbol, window)
        k = first_window_row(history, window)
        train = purged_training_rows(history, window.start, EXPANDING)
        start = pd.Timestamp(window.start)

        assert (train["realised_on"] < start).all(), (
            f"{target} {window}: a training target realised in-window"
        )
        # independent definition: row i trains iff its target window i+1..i+h (rows of the symbol) ends before s
        end_of_target_window = full["date"].shift(-h).iloc[: len(history)]
        expected = history.index[(end_of_target_window < start).to_numpy()]
        pd.testing.assert_index_equal(train.index, expected)
        # i.e. everything up to the (h+1)-th trading row before the window's first day, nothing after it
        assert list(train.index) == list(range(k - h)), f"{target} {window} {symbol}"
        assert train["date"].iloc[-1] == history["date"].iloc[k - (h + 1)]
        assert train["realised_on"].iloc[-1] == history["date"].iloc[k - 1]
        excluded = history.drop(index=train.index)
        assert len(excluded) == len(history) - k + h
        assert (excluded["realised_on"].isna() | (excluded["realised_on"] >= start)).all()


@pytest.mark.parametrize("target", [spec.name for spec in SPECS])
@pytest.mark.parametrize("family", FAMILIES)
def test_forecast_rows_record_a_training_set_realised_before_the_window(
    panels: Panels, run: Runner, family: str, target: str
) -> None:
    for window in PURGE_WINDOWS:
        result = run(family, target, window)
        assert not result.skipped, f"{family} {target} {window}: {result.skipped}"
        fc = result.forecasts
        assert list(fc.columns) == FORECAST_COLUMNS
        start = pd.Timestamp(window.start)
        assert (fc["trained_through"] < start).all(), (
            f"{family} {target} {window}: trained on in-window targets"
        )
        assert (fc["window_start"] == start).all()
        assert (fc["target"] == target).all() and (fc["model"] == family).all()
        for symbol, rows in fc.groupby("symbol"):
            history = history_of(panels[target], str(symbol), window)
            k = first_window_row(history, window)
            train = purged_training_rows(history, window.start, EXPANDING)
            # the last purged target was realised on the last trading day before the window
            assert (rows["trained_through"] == history["date"].iloc[k - 1]).all()
            assert (rows["train_rows"] == len(train)).all()
        for fit in result.fits:
            assert fit.trained_through < window.start
            assert fit.params["family"] == family and fit.params["horizon"] == SPEC_BY_NAME[target].horizon


@pytest.mark.parametrize("target", [spec.name for spec in SPECS])
@pytest.mark.parametrize("family", FAMILIES)
def test_every_trading_day_of_the_window_gets_one_finite_positive_non_crossing_forecast_per_symbol(
    panels: Panels, run: Runner, family: str, target: str
) -> None:
    for window in PURGE_WINDOWS:
        fc = run(family, target, window).forecasts
        panel = panels[target]
        in_window = panel[
            (panel["date"] >= pd.Timestamp(window.start)) & (panel["date"] < pd.Timestamp(window.end))
        ]
        expected = in_window[["symbol", "date"]].sort_values(["symbol", "date"]).reset_index(drop=True)
        got = fc[["symbol", "date"]].sort_values(["symbol", "date"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        assert not fc.duplicated(["symbol", "date"]).any()
        values = fc[OUTPUT_COLUMNS].to_numpy(dtype=float)
        assert np.isfinite(values).all(), f"{family} {target} {window}: non-finite forecasts"
        assert (values > 0).all(), f"{family} {target} {window}: non-positive forecasts"
        quantiles = fc[QUANTILE_COLUMNS].to_numpy(dtype=float)
        assert (np.diff(quantiles, axis=1) >= 0).all(), f"{family} {target} {window}: crossing quantiles"


# -- no look-ahead ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [spec.name for spec in SPECS])
@pytest.mark.parametrize("family", FAMILIES)
def test_forecasts_do_not_depend_on_anything_after_the_window_or_on_targets_realised_in_it(
    panels: Panels, truncated_panels: Panels, run: Runner, family: str, target: str
) -> None:
    spec, window = SPEC_BY_NAME[target], LOOKAHEAD_WINDOW
    reference = run(family, target, window).forecasts
    assert len(reference) > 0
    panel = panels[target]

    # a warehouse built only from bars before the window's end
    truncated = forecast_window(truncated_panels[target], spec, family, window, EXPANDING).forecasts
    pd.testing.assert_frame_equal(truncated, reference, check_exact=True)

    # garbage in every feature and target of the rows after the window
    rng = np.random.default_rng(1)
    after = panel["date"] >= pd.Timestamp(window.end)
    numeric = panel.select_dtypes("number").columns
    scrambled = panel.copy()
    scrambled.loc[after, numeric] = scrambled.loc[after, numeric] * rng.uniform(0.1, 10.0, (after.sum(), 1))
    scrambled.loc[after, "realised_on"] = pd.Timestamp("2000-01-03")  # would be "realised" long ago
    result = forecast_window(scrambled, spec, family, window, EXPANDING).forecasts
    pd.testing.assert_frame_equal(result, reference, check_exact=True)

    # targets realised on or after the window start: other values, realised even later
    late = panel["realised_on"] >= pd.Timestamp(window.start)
    assert late.sum() >= 3 * spec.horizon
    relabelled = panel.copy()
    relabelled.loc[late, "target_value"] *= rng.uniform(0.1, 10.0, late.sum())
    relabelled.loc[late, "realised_on"] += pd.Timedelta(days=45)
    result = forecast_window(relabelled, spec, family, window, EXPANDING).forecasts
    pd.testing.assert_frame_equal(result, reference, check_exact=True)

    # control: the same perturbation of the last targets realised *before* the window does change the output
    known = panel["realised_on"] < pd.Timestamp(window.start)
    recent = known & (panel["realised_on"] >= pd.Timestamp(window.start) - pd.Timedelta(days=60))
    changed = panel.copy()
    changed.loc[recent, "target_value"] *= 20.0
    result = forecast_window(changed, spec, family, window, EXPANDING).forecasts
    assert not np.allclose(result[OUTPUT_COLUMNS], reference[OUTPUT_COLUMNS], rtol=1e-9, atol=0)


# -- determinism and warm starts --------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_the_same_window_twice_gives_identical_frames(panels: Panels, run: Runner, family: str) -> None:
    for target in ("rv_1d", "rv_22d"):
        window = PURGE_WINDOWS[1]
        first = run(family, target, window)
        again = forecast_window(panels[target], SPEC_BY_NAME[target], family, window, EXPANDING)
        pd.testing.assert_frame_equal(again.forecasts, first.forecasts, check_exact=True)
        assert [f.params for f in again.fits] == [f.params for f in first.fits]
        assert again.skipped == first.skipped


@pytest.mark.parametrize("target", ["rv_1d", "rv_22d", "gk_10d"])
@pytest.mark.parametrize("family", FAMILIES)
def test_walk_forward_warm_starts_match_cold_fits(panels: Panels, family: str, target: str) -> None:
    spec = SPEC_BY_NAME[target]
    windows = monthly_windows(dt.date(2018, 1, 1), dt.date(2018, 3, 31))
    # given out of order: walk_forward sorts them
    warm_results = list(walk_forward(panels[target], spec, family, reversed(windows), EXPANDING))
    assert [r.window for r in warm_results] == windows
    warm = pd.concat([r.forecasts for r in warm_results], ignore_index=True)
    cold = pd.concat(
        [forecast_window(panels[target], spec, family, w, EXPANDING).forecasts for w in windows],
        ignore_index=True,
    )
    if family in GARCH_FAMILIES:
        pd.testing.assert_frame_equal(
            warm.drop(columns=OUTPUT_COLUMNS), cold.drop(columns=OUTPUT_COLUMNS), check_exact=True
        )
        np.testing.assert_allclose(warm["forecast"], cold["forecast"], rtol=1e-3)
        np.testing.assert_allclose(warm[QUANTILE_COLUMNS], cold[QUANTILE_COLUMNS], rtol=1e-2)
    else:
        pd.testing.assert_frame_equal(warm, cold, check_exact=True)


# -- training schemes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["rv_1d", "rv_22d"])
def test_rolling_scheme_trains_on_the_last_years_and_expanding_on_all_purged_rows(
    panels: Panels, target: str
) -> None:
    spec, window = SPEC_BY_NAME[target], DateWindow(dt.date(2019, 6, 1), dt.date(2019, 7, 1))
    start = pd.Timestamp(window.start)
    years = 2.0
    rolling = TrainingScheme("rolling", rolling_years=years)
    cutoff = start - pd.Timedelta(days=365.25 * years)
    rolled = forecast_window(panels[target], spec, "har", window, rolling)
    expanded = forecast_window(panels[target], spec, "har", window, EXPANDING)
    assert not rolled.skipped and not expanded.skipped
    for symbol in SYMBOLS:
        history = history_of(panels[target], symbol, window)
        roll_train = purged_training_rows(history, window.start, rolling)
        all_train = purged_training_rows(history, window.start, EXPANDING)
        # rolling: the purged rows of the last `years` years, no older row, no newer row dropped
        assert roll_train["date"].min() >= cutoff
        previous = history.index[history.index < roll_train.index[0]][-1]
        assert history.loc[previous, "date"] < cutoff + pd.Timedelta(days=1)
        pd.testing.assert_frame_equal(roll_train, all_train[all_train["date"] >= roll_train["date"].min()])
        # expanding: every row realised before the window, back to the symbol's first day
        assert all_train["date"].min() == history["date"].min()
        assert len(all_train) == int((history["realised_on"] < start).sum())
        assert len(roll_train) < len(all_train)
        assert (
            rolled.forecasts.loc[rolled.forecasts["symbol"] == symbol, "train_rows"] == len(roll_train)
        ).all()
        assert (
            expanded.forecasts.loc[expanded.forecasts["symbol"] == symbol, "train_rows"] == len(all_train)
        ).all()
    # a different training set, the same days forecast
    pd.testing.assert_frame_equal(
        rolled.forecasts[["symbol", "date"]], expanded.forecasts[["symbol", "date"]]
    )
    assert not np.allclose(rolled.forecasts["forecast"], expanded.forecasts["forecast"])


@pytest.mark.parametrize(
    ("kind", "years", "min_rows"), [("weekly", 1.0, 250), ("rolling", 0.0, 250), ("expanding", 1.0, 0)]
)
def test_training_scheme_rejects_bad_settings(kind: str, years: float, min_rows: int) -> None:
    with pytest.raises(ValueError):
        TrainingScheme(kind, years, min_rows)  # type: ignore[arg-type]


def test_a_symbol_with_too_few_purged_rows_is_skipped_with_a_reason(panels: Panels) -> None:
    spec, window = SPEC_BY_NAME["rv_5d"], DateWindow(dt.date(2019, 6, 1), dt.date(2019, 7, 1))
    panel = panels[spec.name]
    listed_late = panel[(panel["symbol"] != "SYN001") | (panel["date"] >= pd.Timestamp("2019-01-01"))]
    scheme = TrainingScheme(min_rows=300)
    result = forecast_window(listed_late, spec, "har", window, scheme)
    late_rows = len(purged_training_rows(history_of(listed_late, "SYN001", window), window.start, scheme))
    assert 0 < late_rows < 300
    assert result.skipped == {"SYN001": ShortHistory(late_rows, 300)} and not result.nobody_fitted
    assert str(result.skipped["SYN001"]) == f"{late_rows} purged training rows of the 300 needed"
    assert set(result.forecasts["symbol"]) == {"SYN000", "SYN002"}
    assert [fit.symbol for fit in result.fits] == ["SYN000", "SYN002"]
    # the other symbols' forecasts do not depend on it
    full = forecast_window(panel, spec, "har", window, scheme).forecasts
    pd.testing.assert_frame_equal(result.forecasts, full[full["symbol"] != "SYN001"].reset_index(drop=True))

    # min_rows is the least number of purged rows that still trains
    exactly = forecast_window(listed_late, spec, "har", window, TrainingScheme(min_rows=late_rows))
    assert "SYN001" not in exactly.skipped and "SYN001" in set(exactly.forecasts["symbol"])
    one_short = forecast_window(listed_late, spec, "har", window, TrainingScheme(min_rows=late_rows + 1))
    assert set(one_short.skipped) == {"SYN001"}

    nobody = forecast_window(panel, spec, "har", window, TrainingScheme(min_rows=100_000))
    assert set(nobody.skipped) == set(SYMBOLS) and nobody.forecasts.empty and nobody.nobody_fitted

    # a window kept from identical inputs names the symbols it skips, as its fit did
    (first,) = walk_forward(listed_late, spec, "har", [window], scheme)
    stored = {window.start: StoredWindow(first.inputs_digest, {f.symbol: f.params for f in first.fits})}
    (kept,) = walk_forward(listed_late, spec, "har", [window], scheme, stored=stored)
    assert kept.reused and kept.skipped == result.skipped and not kept.nobody_fitted


# -- calendar windows -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (dt.date(2018, 11, 17), dt.date(2019, 2, 3)),
        (dt.date(2019, 1, 31), dt.date(2019, 3, 1)),
        (dt.date(2019, 12, 31), dt.date(2020, 1, 1)),
        (dt.date(2020, 2, 29), dt.date(2020, 2, 29)),
        (dt.date(2015, 1, 5), dt.date(2019, 12, 31)),
    ],
)
def test_monthly_and_yearly_windows_are_contiguous_calendar_periods_covering_the_range(
    first: dt.date, last: dt.date
) -> None:
    for windows, months in ((monthly_windows(first, last), 1), (yearly_windows(first, last), 12)):
        assert windows, f"no windows for {first}..{last}"
        assert windows[0].start <= first < windows[0].end
        assert windows[-1].start <= last < windows[-1].end
        for a, b in itertools.pairwise(windows):
            assert a.end == b.start, f"gap or overlap between {a} and {b}"
        for w in windows:
            assert w.start.day == 1 and (months == 1 or w.start.month == 1)
            assert w.end == (pd.Timestamp(w.start) + pd.DateOffset(months=months)).date()
    assert len(monthly_windows(dt.date(2018, 11, 17), dt.date(2019, 2, 3))) == 4
    assert len(yearly_windows(dt.date(2015, 1, 5), dt.date(2019, 12, 31))) == 5


# -- the forecasts table ----------------------------------------------------------------------------------------


def read_forecasts(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = conn.execute("SELECT * FROM forecasts ORDER BY target, model, window_start, symbol, date").df()
    for column in ("date", "window_start", "trained_through"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def partition(frame: pd.DataFrame, target: str, model: str, window: DateWindow) -> pd.DataFrame:
    mask = (
        (frame["target"] == target)
        & (frame["model"] == model)
        & (frame["window_start"] == pd.Timestamp(window.start))
    )
    return frame[mask].reset_index(drop=True)


def outside(frame: pd.DataFrame, target: str, model: str, window: DateWindow) -> pd.DataFrame:
    mask = (
        (frame["target"] == target)
        & (frame["model"] == model)
        & (frame["window_start"] == pd.Timestamp(window.start))
    )
    return frame[~mask].reset_index(drop=True)


def as_stored(result: WindowResult) -> pd.DataFrame:
    return result.forecasts.sort_values(["symbol", "date"]).reset_index(drop=True)


def test_write_window_is_idempotent_and_replaces_only_its_partition(tmp_path: Path, panels: Panels) -> None:
    w1, w2 = PURGE_WINDOWS[1], DateWindow(dt.date(2018, 10, 1), dt.date(2018, 11, 1))
    rv1, rv5 = SPEC_BY_NAME["rv_1d"], SPEC_BY_NAME["rv_5d"]

    def fit(
        spec: TargetSpec, family: str, window: DateWindow, scheme: TrainingScheme = EXPANDING
    ) -> WindowResult:
        return forecast_window(panels[spec.name], spec, family, window, scheme)

    mine = fit(rv1, "har", w1)
    others = [
        (fit(rv1, "har", w2), rv1, "har"),
        (fit(rv1, "ewma", w1), rv1, "ewma"),
        (fit(rv5, "har", w1), rv5, "har"),
    ]
    with open_warehouse(tmp_path / "forecasts.duckdb") as conn:
        assert write_window(conn, mine, EXPANDING) == len(mine.forecasts)
        for result, _, _ in others:
            assert write_window(conn, result, EXPANDING) == len(result.forecasts)
        before = read_forecasts(conn)
        assert len(before) == len(mine.forecasts) + sum(len(r.forecasts) for r, _, _ in others)
        stored = partition(before, "rv_1d", "har", w1)
        pd.testing.assert_frame_equal(stored.drop(columns="created_at"), as_stored(mine), check_dtype=False)

        # the same window again: one copy of its rows, the same values; every other partition untouched
        assert write_window(conn, mine, EXPANDING) == len(mine.forecasts)
        after = read_forecasts(conn)
        assert len(after) == len(before)
        pd.testing.assert_frame_equal(
            partition(after, "rv_1d", "har", w1).drop(columns="created_at"), stored.drop(columns="created_at")
        )
        others_before = outside(before, "rv_1d", "har", w1)
        assert len(others_before) == sum(len(r.forecasts) for r, _, _ in others)
        pd.testing.assert_frame_equal(outside(after, "rv_1d", "har", w1), others_before)

        # other rows for the window (a rolling refit) replace its rows, and only its rows
        refit = fit(rv1, "har", w1, TrainingScheme("rolling", rolling_years=1.5))
        assert write_window(conn, refit, EXPANDING) == len(refit.forecasts)
        replaced = read_forecasts(conn)
        pd.testing.assert_frame_equal(
            partition(replaced, "rv_1d", "har", w1).drop(columns="created_at"),
            as_stored(refit),
            check_dtype=False,
        )
        assert not partition(replaced, "rv_1d", "har", w1)["train_rows"].equals(stored["train_rows"])
        pd.testing.assert_frame_equal(outside(replaced, "rv_1d", "har", w1), others_before)

        # a window where every symbol was skipped empties its partition
        empty = fit(rv1, "har", w1, TrainingScheme(min_rows=100_000))
        assert write_window(conn, empty, EXPANDING) == 0
        final = read_forecasts(conn)
        assert partition(final, "rv_1d", "har", w1).empty
        pd.testing.assert_frame_equal(final, others_before)


def test_a_window_write_records_each_fit_beside_its_forecasts(tmp_path: Path, panels: Panels) -> None:
    """model_fits says how every forecast partition was made, written in the same transaction."""
    rv1 = SPEC_BY_NAME["rv_1d"]
    window = DateWindow(dt.date(2019, 3, 1), dt.date(2019, 4, 1))
    result = forecast_window(panels["rv_1d"], rv1, "ewma", window, EXPANDING)
    with open_warehouse(tmp_path / "w.duckdb") as conn:
        write_window(conn, result, EXPANDING)
        write_window(conn, result, EXPANDING)  # a re-run replaces, never doubles
        fits = conn.execute("SELECT * FROM model_fits ORDER BY symbol").df()
    assert list(fits["symbol"]) == [fit.symbol for fit in result.fits]
    assert (fits["scheme"] == "expanding").all() and (fits["code_version"] != "").all()
    assert [json.loads(p)["decay"] for p in fits["params"]] == [fit.params["decay"] for fit in result.fits]
    assert list(fits["train_rows"]) == [fit.train_rows for fit in result.fits]
