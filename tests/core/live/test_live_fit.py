"""Live sets: fitted on rows realised by as_of only, calibrated from their own out-of-sample scores, saved and
loaded as one unit; members without backtest forecasts left out with the windows to backfill."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from forge_core.forecasting.forecast_store import load_member_history
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import ShortHistory, TrainingScheme, fit_model, purged_training_rows
from forge_core.intervals.calibration import calibrate
from forge_core.live import FittedSet, LiveFit, LiveSettings, NoSymbolQualifies, fit_live
from forge_core.live.fitted_set import SET_FILE
from forge_core.live.live_fit import REALISED_SCORES
from forge_core.market_tables import build_market_tables
from forge_core.models.base import Runtime
from forge_core.quantiles import bound_column
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl
from tests.core.live.conftest import AS_OF, SPEC

SETTINGS = LiveSettings(AS_OF, ("har", "log_har", "garch"), ("equal", "stacking"))


def live(conn: duckdb.DuckDBPyConnection, panel_end: dt.date, settings: LiveSettings = SETTINGS) -> LiveFit:
    end = settings.as_of + dt.timedelta(days=1)
    return fit_live(
        load_panel(conn, SPEC, panel_end), load_member_history(conn, SPEC.name, end), SPEC, settings
    )


def test_every_backfilled_member_is_fitted_and_ranked(warehouse: duckdb.DuckDBPyConnection) -> None:
    fit = live(warehouse, dt.date(2019, 1, 1))
    members = [s.member for s in fit.sets]
    assert sorted(members) == ["ensemble_equal", "ensemble_stacking", "har", "log_har"]
    assert [s.recent_qlike for s in fit.sets] == sorted(s.recent_qlike for s in fit.sets)
    assert "backfill its walk-forward windows up to 2017-12-29" in fit.left_out["garch"]
    for fitted in fit.sets:
        assert set(fitted.symbols) == {"^GSPC", "^IXIC"} and fitted.as_of == AS_OF
        for state in fitted.symbols.values():
            assert state.trained_through <= AS_OF
            assert np.all(np.diff(state.log_lower) < 0) and np.all(np.diff(state.log_upper) > 0)
            assert state.log_lower[-1] < 0 < state.log_upper[-1]
            # the point inside its 50% band
            assert state.log_lower[0] <= state.log_point <= state.log_upper[0]
            if fitted.is_ensemble:
                assert sum(state.weights.values()) == pytest.approx(1.0)


def test_rows_after_as_of_change_nothing(warehouse: duckdb.DuckDBPyConnection) -> None:
    cut, full = live(warehouse, AS_OF + dt.timedelta(days=1)), live(warehouse, dt.date(2019, 1, 1))
    for a, b in zip(cut.sets, full.sets, strict=True):
        assert a.member == b.member and a.recent_qlike == b.recent_qlike and a.symbols == b.symbols
        for symbol, model in a.models.items():
            assert model.params() == b.models[symbol].params()


def test_a_family_is_fitted_on_the_purged_rows(warehouse: duckdb.DuckDBPyConnection) -> None:
    fitted = next(s for s in live(warehouse, dt.date(2019, 1, 1)).sets if s.member == "har")
    panel = load_panel(warehouse, SPEC, dt.date(2019, 1, 1))
    rows = panel[(panel["symbol"] == "^GSPC") & (panel["date"] <= pd.Timestamp(AS_OF))].reset_index(drop=True)
    train = purged_training_rows(rows, AS_OF + dt.timedelta(days=1), TrainingScheme())
    assert train["realised_on"].max() <= pd.Timestamp(AS_OF)
    direct = fit_model(train, SPEC, "har", Runtime())
    assert fitted.models["^GSPC"].params() == direct.params()
    assert fitted.symbols["^GSPC"].train_rows == len(train)


def test_a_set_round_trips_and_forecasts_with_its_bounds(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    fit = live(warehouse, dt.date(2019, 1, 1))
    panel = load_panel(warehouse, SPEC, AS_OF + dt.timedelta(days=1))
    histories = {str(s): rows.reset_index(drop=True) for s, rows in panel.groupby("symbol")}
    family = next(s for s in fit.sets if s.member == "log_har")
    family.save(tmp_path / "log_har")
    loaded = FittedSet.load(tmp_path / "log_har")
    before, after = family.forecast(histories), loaded.forecast(histories)
    pd.testing.assert_frame_equal(before, after)
    assert (before["date"] == pd.Timestamp(AS_OF)).all()
    for level in family.levels:
        low, high = before[bound_column("lower", level)], before[bound_column("upper", level)]
        assert (low > 0).all() and (low < before["forecast"]).all() and (before["forecast"] < high).all()
    members = [s.forecast(histories) for s in fit.sets if not s.is_ensemble]
    stacking = next(s for s in fit.sets if s.member == "ensemble_stacking")
    stacking.save(tmp_path / "stacking")
    reloaded = FittedSet.load(tmp_path / "stacking")
    assert reloaded.members == ("har", "log_har")
    combined = reloaded.forecast(histories)
    pd.testing.assert_frame_equal(combined, stacking.forecast(histories))
    f = pd.concat([m["raw_forecast"] for m in members], axis=1)  # the members' raw forecasts are combined
    assert combined["raw_forecast"].between(f.min(axis=1) * (1 - 1e-12), f.max(axis=1) * (1 + 1e-12)).all()
    correction = np.exp([stacking.symbols[s].log_point for s in combined["symbol"]])
    np.testing.assert_allclose(combined["forecast"], combined["raw_forecast"] * correction)  # then corrected
    with pytest.raises(KeyError, match=re.escape("no model for ['^XYZ']")):
        family.forecast({"^XYZ": histories["^GSPC"]})


def own_series(
    history: pd.DataFrame, member: str, settings: LiveSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A family's calibration series of every symbol, as ``calibrate`` gives them: the published point and the
    realised value per day, and each day's band per level (long)."""
    points, bands = [], []
    for symbol, rows in history[history["model"] == member].groupby("symbol"):
        f = pd.Series(rows["forecast"].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["date"]))
        y = pd.Series(rows["realised"].to_numpy(dtype=float), index=f.index)
        intervals = calibrate(
            f,
            y.where(y > 0),
            SPEC.horizon,
            settings.method,
            levels=settings.levels,
            min_scores=settings.min_scores,
        )
        point = intervals.point.reindex(f.index).fillna(f).to_numpy()
        points.append(pd.DataFrame({"symbol": symbol, "date": f.index, "point": point, "y": y.to_numpy()}))
        for level in settings.levels:
            lower, upper = intervals.lower[level], intervals.upper[level]
            bands.append(
                pd.DataFrame(
                    {"symbol": symbol, "date": lower.index, "level": level, "lower": lower, "upper": upper}
                )
            )
    return pd.concat(points, ignore_index=True), pd.concat(bands, ignore_index=True)


def test_recent_scores_are_those_of_the_calibrations_own_series(warehouse: duckdb.DuckDBPyConnection) -> None:
    """MSE, MSE over HAR's on the same symbol-days, and each band's realised coverage, over the days of the recent
    QLIKE, from each day's published point and band (out of sample: made from scores realised by that day)."""
    fit = live(warehouse, dt.date(2019, 1, 1))
    history = load_member_history(warehouse, SPEC.name, AS_OF + dt.timedelta(days=1))
    har = own_series(history, "har", SETTINGS)[0]
    for fitted in fit.sets:
        recent = fitted.recent
        assert recent is not None and set(recent.coverage) == set(recent.log_width) == set(SETTINGS.levels)
        if fitted.is_ensemble:
            assert recent.mse_ratio_har is not None and 0 < recent.mse_ratio_har < 2
            continue
        points, bands = own_series(history, fitted.member, SETTINGS)
        scored = points[points["y"] > 0]
        days = sorted(scored["date"].unique())[-SETTINGS.recent_days :]
        scored = scored[scored["date"].isin(days)]
        assert recent.days == len(days) == SETTINGS.recent_days
        assert recent.mse == pytest.approx(np.mean((scored["y"] - scored["point"]) ** 2), rel=1e-12)
        both = scored.merge(har, on=["symbol", "date"], suffixes=("", "_har"))
        ratio = np.mean((both["y"] - both["point"]) ** 2) / np.mean((both["y"] - both["point_har"]) ** 2)
        assert recent.mse_ratio_har == pytest.approx(ratio, rel=1e-12)
        assert (recent.mse_ratio_har == 1.0) == (fitted.member == "har")
        banded = bands.merge(scored, on=["symbol", "date"])
        for level in SETTINGS.levels:
            mine = banded[banded["level"] == level]
            inside = ((mine["lower"] <= mine["y"]) & (mine["y"] <= mine["upper"])).mean()
            assert recent.coverage[level] == pytest.approx(inside, rel=1e-12)
            assert recent.log_width[level] == pytest.approx(
                np.log(mine["upper"] / mine["lower"]).mean(), rel=1e-12
            )
        assert recent.coverage[0.5] < recent.coverage[0.95]


def test_without_a_har_set_there_is_no_ratio_and_it_says_why(warehouse: duckdb.DuckDBPyConnection) -> None:
    (fitted,) = live(warehouse, dt.date(2019, 1, 1), LiveSettings(AS_OF, ("log_har",))).sets
    assert fitted.recent is not None and fitted.recent.mse_ratio_har is None
    assert fitted.recent.no_ratio == "no har set fitted by this retraining"
    assert "recent_mse_ratio_har" not in fitted.recent.metrics() and "recent_mse" in fitted.recent.metrics()


def test_recent_scores_round_trip_and_older_sets_load_without_them(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    family = next(s for s in live(warehouse, dt.date(2019, 1, 1)).sets if s.member == "har")
    family.save(tmp_path / "har")
    assert FittedSet.load(tmp_path / "har").recent == family.recent
    path = tmp_path / "har" / SET_FILE
    doc = json.loads(path.read_text())
    del doc["recent"]
    path.write_text(json.dumps(doc | {"format_version": 2}))  # a set saved before the recent scores were kept
    older = FittedSet.load(tmp_path / "har")
    assert older.recent is None and older.recent_qlike == family.recent_qlike


def test_a_symbol_with_a_short_history_is_skipped_with_what_it_has_and_needs(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    end = AS_OF + dt.timedelta(days=1)
    panel, history = load_panel(warehouse, SPEC, end), load_member_history(warehouse, SPEC.name, end)
    listed_late = panel[(panel["symbol"] != "^IXIC") | (panel["date"] >= pd.Timestamp("2017-06-01"))]
    late = listed_late[listed_late["symbol"] == "^IXIC"].reset_index(drop=True)
    rows = len(purged_training_rows(late, end, TrainingScheme()))
    fit = fit_live(listed_late, history, SPEC, SETTINGS)
    assert fit.skipped == {"^IXIC": ShortHistory(rows, 250)} and 0 < rows < 250
    assert fit.sets and all(set(s.symbols) == {"^GSPC"} for s in fit.sets)  # the rest is fitted

    # short of realised out-of-sample scores: min_scores is the least number that still fits
    mine = history[(history["symbol"] == "^IXIC") & (history["model"] == "har")]
    scored = int((mine["realised"] > 0).sum())
    alone = panel[panel["symbol"] == "^IXIC"]
    assert not fit_live(alone, history, SPEC, dataclasses.replace(SETTINGS, min_scores=scored)).skipped
    with pytest.raises(NoSymbolQualifies) as raised:
        fit_live(alone, history, SPEC, dataclasses.replace(SETTINGS, min_scores=scored + 1))
    assert raised.value.skipped == {"^IXIC": ShortHistory(scored, scored + 1, REALISED_SCORES)}


@pytest.mark.parametrize(
    ("settings", "what", "remedy"),
    [
        (
            LiveSettings(AS_OF, ("har", "log_har"), scheme=TrainingScheme(min_rows=100_000)),
            "purged training rows",
            "more days of data, or a lower min_train_rows",
        ),
        (
            LiveSettings(AS_OF, ("har", "log_har"), min_scores=100_000),
            REALISED_SCORES,
            "backfill the walk-forward windows up to 2017-12-29",
        ),
    ],
)
def test_no_symbol_with_enough_history_is_one_error_naming_each(
    warehouse: duckdb.DuckDBPyConnection, settings: LiveSettings, what: str, remedy: str
) -> None:
    with pytest.raises(NoSymbolQualifies) as raised:
        live(warehouse, dt.date(2019, 1, 1), settings)
    skipped = raised.value.skipped
    assert set(skipped) == {"^GSPC", "^IXIC"}
    assert {(why.what, why.needed) for why in skipped.values()} == {(what, 100_000)}
    message = str(raised.value)
    assert message.startswith(
        "rv_1d: no symbol has enough history for a live model on rows realised by 2017-12-29"
    )
    assert f"^GSPC: {skipped['^GSPC']}; ^IXIC: {skipped['^IXIC']}" in message and message.endswith(remedy)


def test_nothing_to_fit_names_every_member(warehouse: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match=r"no member could be fitted.*garch:.*ewma:"):
        live(warehouse, dt.date(2019, 1, 1), LiveSettings(AS_OF, ("garch", "ewma")))


@pytest.mark.parametrize("family", ["har", "log_har", "random_walk", "ewma", "garch"])
def test_a_live_forecast_reads_only_the_rows_its_family_needs(family: str) -> None:
    from forge_core.data.synthetic import SyntheticSource
    from forge_core.models import ForecastTask, create_model

    bars = SyntheticSource(1, seed=3, start=dt.date(2015, 1, 5), today=dt.date(2018, 12, 31)).load(
        dt.date(2015, 1, 5), dt.date(2018, 12, 31)
    )
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    spec = TargetSpec("rv_5d", 5, "parkinson")
    build_market_tables(conn, bars, (spec,))
    rows = load_panel(conn, spec, dt.date(2019, 1, 1))
    rows = rows[rows["symbol"] != "^VIX"].reset_index(drop=True)
    model = create_model(family, ForecastTask(5, "parkinson"), Runtime())
    model.fit(rows.iloc[:600], rows["target_value"].iloc[:600])
    full = model.forecast(rows).to_frame().iloc[-1]
    needed = model.rows_needed()
    tail = model.forecast(rows if needed is None else rows.tail(needed)).to_frame().iloc[-1]
    pd.testing.assert_series_equal(full, tail, check_names=False)
