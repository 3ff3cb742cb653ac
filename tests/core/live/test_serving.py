"""Serving: champions loaded once by alias give each symbol's forecast at a day's close with its intervals; the
command says plainly when there is nothing to serve."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import forge_core
from forge_core.live.daily_publication import day_histories, publish_day, write_day
from forge_core.live.published import NoFeatures
from forge_core.live.registry import (
    MissingAlias,
    aliases,
    assign_roles,
    point_alias,
    published_sets,
    register_set,
)
from forge_core.live.serving import ForecastServer, UnknownSymbol
from forge_core.roles import CHAMPION
from forge_core.tracking import default_tracking_config
from forge_core.warehouse.connection import open_warehouse
from forge_jobs.forecast import main
from tests.core.live.conftest import SPEC, live_fit

REPO = Path(__file__).parents[3]


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


def test_the_command_without_a_champion_says_so(
    warehouse: duckdb.DuckDBPyConnection, forge_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_into_home(warehouse, forge_home)
    assert main(["--symbol", "^GSPC", "--target", "rv_1d"]) == 2
    assert "has no 'champion'" in capsys.readouterr().err


def test_the_front_door_gives_a_notebook_the_champions_forecasts(
    warehouse: duckdb.DuckDBPyConnection, forge_home: Path
) -> None:
    """``forge_core.forecast`` reads the reader snapshot of FORGE_HOME's warehouse and the default registry."""
    config = default_tracking_config()
    fit = live_fit(warehouse, combiners=())
    assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    _copy_into_home(warehouse, forge_home)
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


def _copy_into_home(warehouse: duckdb.DuckDBPyConnection, home: Path) -> Path:
    """The module's warehouse copied into FORGE_HOME's file, with its reader snapshot."""
    home.mkdir(parents=True, exist_ok=True)
    live = home / "warehouse.duckdb"
    warehouse.execute(f"ATTACH '{live}' AS notebook")
    warehouse.execute("COPY FROM DATABASE memory TO notebook")
    warehouse.execute("DETACH notebook")
    with open_warehouse(live):  # a writer's open publishes the readers' snapshot on exit
        pass
    return live


def _publish_into_home(warehouse: duckdb.DuckDBPyConnection, home: Path, day: dt.date) -> None:
    """Copy the module's warehouse into FORGE_HOME's file and publish ``day`` there (its reader snapshot too)."""
    config = default_tracking_config()
    with open_warehouse(_copy_into_home(warehouse, home)) as conn:
        sets = published_sets(config, SPEC.name)
        write_day(conn, day, [publish_day(day_histories(conn, SPEC, day), SPEC, day, sets)])


def test_a_published_day_is_read_back_with_no_model_loaded(
    warehouse: duckdb.DuckDBPyConnection, forge_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The front door and the command answer a published day from ``daily_forecasts``: the same numbers the
    loaded champion computes, and, in a fresh interpreter, neither MLflow nor torch imported."""
    config = default_tracking_config()
    fit = live_fit(warehouse, combiners=())
    assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    day = dt.date(2018, 3, 1)
    _publish_into_home(warehouse, forge_home, day)
    served = ForecastServer.load(config, ["rv_1d"]).forecast(warehouse, ["^IXIC", "^GSPC"], day)
    result = forge_core.forecast(["^IXIC", "^GSPC"], day, targets=["rv_1d"])
    pd.testing.assert_frame_equal(result.frame, served, check_exact=False, rtol=1e-12)

    assert main(["--symbol", "^GSPC", "--target", "rv_1d", "--as-of", str(day)]) == 0
    out = capsys.readouterr().out
    assert "read from daily_forecasts" in out and f"{row_text(served, '^GSPC')}" in out
    probe = (
        "import sys; from forge_jobs.forecast import main; "
        f"code = main(['--symbol', '^GSPC', '--target', 'rv_1d', '--as-of', '{day}']); "
        "print('heavy:', sorted(m for m in ('mlflow', 'torch', 'dagster', 'shap') if m in sys.modules)); "
        "sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stdout and "read from daily_forecasts" in done.stdout


def test_a_past_day_not_published_is_forecast_by_the_champion_of_that_day(
    warehouse: duckdb.DuckDBPyConnection, forge_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """MLflow keeps no history of its aliases: the version that published as champion by a past day forecasts it,
    and a day before any publication is forecast by today's champion, said to be in sample."""
    config = default_tracking_config()
    fit = live_fit(warehouse, combiners=())
    first = [(s, register_set(config, s, "test")) for s in fit.sets]
    assign_roles(config, SPEC.name, first)
    _publish_into_home(warehouse, forge_home, dt.date(2018, 3, 1))
    then = aliases(config, SPEC.name)[CHAMPION]
    other = next(version for _, version in first if version != then)
    point_alias(config, SPEC.name, CHAMPION, other)  # a promotion since
    with open_warehouse(forge_home / "warehouse.duckdb") as conn:
        sets = published_sets(config, SPEC.name)
        late = dt.date(2018, 3, 8)
        write_day(conn, late, [publish_day(day_histories(conn, SPEC, late), SPEC, late, sets)])

    assert main(["--symbol", "^GSPC", "--target", "rv_1d", "--as-of", "2018-03-05"]) == 0
    captured = capsys.readouterr()
    assert f"version {then} (champion on 2018-03-05)" in captured.out and "loaded in" in captured.out
    assert f"(version {then}, champion)" in captured.out
    assert main(["--symbol", "^GSPC", "--target", "rv_1d", "--as-of", "2018-02-01"]) == 0
    captured = capsys.readouterr()
    assert "no rv_1d champion had published by 2018-02-01: forecasting with today's champion, in sample" in (
        captured.err
    )


def row_text(frame: pd.DataFrame, symbol: str) -> str:
    """How the command prints a row's point forecast."""
    return f"forecasts variance {frame.loc[frame['symbol'] == symbol, 'forecast'].iloc[0]:.4e}"
