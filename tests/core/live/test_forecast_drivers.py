"""Drivers of published forecasts: a family's and a log-space ensemble's contributions add up to the log of the
forecast the set publishes; a level-space ensemble is refused with the reason."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from forge_core.explain.drivers import forecast_drivers
from forge_core.live.daily_publication import day_histories
from tests.core.live.conftest import SPEC, live_fit
from tests.core.live.test_daily_publication import DAY


def test_drivers_add_up_to_the_published_log_forecast(warehouse: duckdb.DuckDBPyConnection) -> None:
    fit = live_fit(warehouse, combiners=("equal_log", "equal"))
    sets = {s.member: s for s in fit.sets}
    histories = day_histories(warehouse, SPEC, DAY)
    for member in ("log_har", "har", "ensemble_equal_log"):
        fitted = sets[member]
        drivers = forecast_drivers(fitted, histories, top=6)
        published = fitted.forecast(histories).set_index("symbol")["forecast"]
        for symbol, rows in drivers.groupby("symbol"):
            assert rows["base"].iloc[0] + rows["contribution"].sum() == pytest.approx(rows["output"].iloc[0])
            assert rows["output"].iloc[0] == pytest.approx(np.log(published[symbol]), rel=1e-9)
            assert list(rows["rank"]) == list(range(1, len(rows) + 1))
    assert set(forecast_drivers(sets["ensemble_equal_log"], histories, top=6)["feature"]) >= {
        "parkinson_d",
        "log_parkinson_d",
    }
    with pytest.raises(ValueError, match="ensemble_equal combines in levels"):
        forecast_drivers(sets["ensemble_equal"], histories)
