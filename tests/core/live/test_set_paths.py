"""Fans of live sets: log-HAR paths depend only on the registered version and the history up to the day (rows
after the retraining never reach the simulator), GARCH paths start at the saved model's one-step variance, a set
that cannot simulate is passed over, re-runs repeat, and a history that cannot start a simulation is named."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, fit_model, purged_training_rows
from forge_core.live.daily_publication import PublishedSet, histories_on
from forge_core.live.fitted_set import FittedSet, SymbolState
from forge_core.models.base import Runtime
from forge_core.models.garch import PERCENT, GarchModel
from forge_core.paths.set_paths import PATH_COLUMNS, day_fans, set_paths, simulates
from tests.core.live.conftest import AS_OF, SPEC, live_fit

DAY = dt.date(2018, 6, 29)
PATHS = 2_000


@pytest.fixture(scope="module")
def histories(warehouse: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    panel = load_panel(warehouse, SPEC, DAY + dt.timedelta(days=1))
    return histories_on(panel, SPEC, DAY)


def garch_set(histories: dict[str, pd.DataFrame]) -> FittedSet:
    """A GJR-GARCH set of the two symbols fitted on their rows realised by ``AS_OF``."""
    models, states = {}, {}
    for symbol, rows in histories.items():
        train = purged_training_rows(
            rows.reset_index(drop=True), AS_OF + dt.timedelta(days=1), TrainingScheme()
        )
        models[symbol] = fit_model(train, SPEC, "gjr_garch", Runtime())
        states[symbol] = SymbolState(len(train), AS_OF, (-1.0,), (1.0,), 0.0)
    return FittedSet(SPEC.name, 1, SPEC.proxy, "gjr_garch", AS_OF, (0.9,), "split", 1.0, states, models)


def test_log_har_fans_see_the_version_and_the_days_history_only(
    warehouse: duckdb.DuckDBPyConnection, histories: dict[str, pd.DataFrame]
) -> None:
    sets = {s.member: s for s in live_fit(warehouse).sets}
    log_har = sets["log_har"]
    assert simulates(log_har) and not simulates(sets["har"]) and not simulates(sets["ensemble_equal"])
    paths = set_paths(log_har, histories, paths=PATHS)
    assert set(paths) == {"^GSPC", "^IXIC"} and paths["^GSPC"].variance.shape == (PATHS, 22)
    again = set_paths(log_har, histories, paths=PATHS)
    np.testing.assert_array_equal(again["^GSPC"].returns, paths["^GSPC"].returns)

    def shocked(first: str, last: str) -> np.ndarray:
        history = histories["^GSPC"].copy()
        inside = history["date"].between(pd.Timestamp(first), pd.Timestamp(last))
        history.loc[inside, ["parkinson_d", "log_return"]] *= 3.0
        return set_paths(log_har, {"^GSPC": history}, paths=PATHS)["^GSPC"].variance

    # after the retraining and before the last 22 days: neither the simulator nor the start sees them
    np.testing.assert_array_equal(shocked("2018-01-02", "2018-04-30"), paths["^GSPC"].variance)
    assert not np.array_equal(shocked("2018-06-20", "2018-06-29"), paths["^GSPC"].variance)
    assert not np.array_equal(shocked("2016-01-04", "2016-12-30"), paths["^GSPC"].variance)  # training rows


def test_garch_fans_start_at_the_saved_one_step_variance(histories: dict[str, pd.DataFrame]) -> None:
    fitted = garch_set(histories)
    paths = set_paths(fitted, histories, paths=PATHS)
    for symbol, simulated in paths.items():
        model = fitted.models[symbol]
        assert isinstance(model, GarchModel)
        start = model.one_step_variance(histories[symbol])[-1] / PERCENT**2
        np.testing.assert_allclose(simulated.variance[:, 0], start)  # day 1's variance is known at the close
        assert simulated.variance[:, 1].std() > 0


def test_day_fans_publish_every_simulating_set_under_its_role(
    warehouse: duckdb.DuckDBPyConnection, histories: dict[str, pd.DataFrame]
) -> None:
    sets = {s.member: s for s in live_fit(warehouse).sets}
    published = [
        PublishedSet(sets["ensemble_equal"], 3, "run-e", "champion"),
        PublishedSet(sets["log_har"], 2, "run-l", "shadow"),
        PublishedSet(garch_set(histories), 1, "run-g", "shadow"),
    ]
    rows = day_fans(published, histories, DAY, days=10, paths=PATHS)
    assert list(rows.columns) == PATH_COLUMNS
    assert set(rows["model"]) == {"log_har", "gjr_garch"} and set(rows["role"]) == {"shadow"}
    assert len(rows) == 2 * 2 * 2 * 10  # models x symbols x quantities x days
    quantiles = rows[["q05", "q10", "q50", "q90", "q95"]].to_numpy()
    assert (np.diff(quantiles, axis=1) >= 0).all()
    variance = rows[rows["quantity"] == "variance"]
    assert (variance["q05"] > 0).all() and (variance["mean"] > 0).all()
    assert day_fans(published[:1], histories, DAY).empty


def test_a_history_that_cannot_start_a_simulation_is_named(
    warehouse: duckdb.DuckDBPyConnection, histories: dict[str, pd.DataFrame]
) -> None:
    log_har = {s.member: s for s in live_fit(warehouse).sets}["log_har"]
    broken = histories["^IXIC"].copy()
    broken.loc[broken.index[100], "parkinson_d"] = np.nan  # the rv_1d proxy
    with pytest.raises(
        ValueError, match=r"log_har \(rv_1d, version fitted 2017-12-29\) \^IXIC on 2018-06-29"
    ):
        set_paths(log_har, {"^IXIC": broken})
    with pytest.raises(ValueError, match=r"ensemble_equal .* no path simulation"):
        set_paths({s.member: s for s in live_fit(warehouse).sets}["ensemble_equal"], histories)


def test_a_gap_in_the_history_restarts_the_simulator_and_a_restarting_close_has_no_fan(
    warehouse: duckdb.DuckDBPyConnection, histories: dict[str, pd.DataFrame]
) -> None:
    log_har = {s.member: s for s in live_fit(warehouse).sets}["log_har"]
    gapped = histories["^IXIC"].copy()
    gapped.loc[gapped.index[100], "log_return"] = np.nan  # a gap's first bar, long before the close
    assert set(set_paths(log_har, {"^IXIC": gapped}, paths=200)) == {"^IXIC"}
    gapped.loc[gapped.index[-5], "log_return"] = np.nan  # a gap four bars before the close
    assert set_paths(log_har, {"^IXIC": gapped}, paths=200) == {}
