"""Serving: champions loaded once by alias give each symbol's forecast at a day's close with its intervals; the
command says plainly when there is nothing to serve."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import forge_core
from forge_core.live.daily_publication import NoFeatures
from forge_core.live.registry import MissingAlias, assign_roles, register_set
from forge_core.live.serving import ForecastServer, UnknownSymbol
from forge_core.tracking import default_tracking_config
from forge_core.warehouse.connection import open_warehouse
from forge_jobs.forecast import main
from tests.core.live.conftest import SPEC, live_fit


def test_the_champion_serves_any_symbol_and_day(warehouse: duckdb.DuckDBPyConnection) -> None:
    config = default_tracking_config()
    with pytest.raises(MissingAlias):
        ForecastServer.load(config, ["rv_1d"])
    with pytest.raises(ValueError, match=r"unknown targets \['rv_2d'\]"):
        ForecastServer.load(config, ["rv_2d"])
    fit = live_fit(warehouse, combiners=())
    assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    server = ForecastServer.load(config, ["rv_1d"])
    rows = server.forecast(warehouse, ["^GSPC"], dt.date(2018, 3, 1))
    assert (
        len(rows) == 1 and rows["model"].iloc[0] == fit.sets[0].member and rows["alias"].iloc[0] == "champion"
    )
    assert rows["lower_90"].iloc[0] < rows["forecast"].iloc[0] < rows["upper_90"].iloc[0]
    row = rows.iloc[0]  # served bands are the published ones: nested, strict, the point inside its 50% band
    ends = [row[f"lower_{p}"] for p in (95, 90, 80, 50)] + [row[f"upper_{p}"] for p in (50, 80, 90, 95)]
    assert ends == sorted(ends) and row["upper_50"] < row["upper_95"] and not row["skewed"]
    assert row["lower_50"] <= row["forecast"] <= row["upper_50"] and row["raw_forecast"] > 0
    with pytest.raises(UnknownSymbol, match=r"unknown symbol \^XYZ; known \(2\): \^GSPC, \^IXIC$"):
        server.forecast(warehouse, ["^GSPC", "^XYZ"], dt.date(2018, 3, 1))
    with pytest.raises(UnknownSymbol, match=r"\^VIX has no forecasting models \(VIX is an input\)"):
        server.forecast(warehouse, ["^VIX"], dt.date(2018, 3, 1))
    with pytest.raises(
        NoFeatures, match=r"on 2018-03-03 for \['\^GSPC'\] \(last day with features: 2018-03-02\)"
    ):
        server.forecast(warehouse, ["^GSPC"], dt.date(2018, 3, 3))


def test_the_command_without_a_champion_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--symbol", "^GSPC", "--target", "rv_1d"]) == 2
    assert "has no 'champion'" in capsys.readouterr().err


def test_the_front_door_gives_a_notebook_the_champions_forecasts(
    warehouse: duckdb.DuckDBPyConnection, forge_home: Path
) -> None:
    """``forge_core.forecast`` reads the reader snapshot of FORGE_HOME's warehouse and the default registry."""
    config = default_tracking_config()
    fit = live_fit(warehouse, combiners=())
    assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    live = forge_home / "warehouse.duckdb"
    warehouse.execute(f"ATTACH '{live}' AS notebook")
    warehouse.execute("COPY FROM DATABASE memory TO notebook")
    warehouse.execute("DETACH notebook")
    with open_warehouse(live):  # a writer's open publishes the readers' snapshot on exit
        pass
    result = forge_core.forecast("^GSPC", dt.date(2018, 3, 1), targets=["rv_1d"])
    served = ForecastServer.load(config, ["rv_1d"]).forecast(warehouse, ["^GSPC"], dt.date(2018, 3, 1))
    pd.testing.assert_frame_equal(result.frame, served)
    assert result.as_of == dt.date(2018, 3, 1) and result.point.index.tolist() == [("^GSPC", "rv_1d")]
    band = result.band(0.9).iloc[0]
    assert band["lower"] < result.point.iloc[0] < band["upper"]
    assert result.models.to_dict("records") == [
        {"target": "rv_1d", "model": fit.sets[0].member, "model_version": 1, "alias": "champion"}
    ]
    last = forge_core.forecast(["^GSPC", "^IXIC"], targets=["rv_1d"])
    assert last.as_of == dt.date(2018, 12, 31) and len(last.frame) == 2  # the last close by default
