"""Ensembles through real Dagster runs: member forecasts from the model assets, then every combiner's partition."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance, instance_for_test, materialize
from mlflow import MlflowClient

from forge_assets.backtest_report import backtest_report_asset
from forge_assets.ensemble_forecasts import ensemble_assets
from forge_assets.prediction_intervals import intervals_asset
from forge_core.tracking import default_tracking_config
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.quality import intervals_quality
from forge_resources import WarehouseResource
from tests.assets.test_baselines import BY_NAME, check_results, forecasts, own_metadata, run

MEMBERS = [BY_NAME[f"{family}_forecasts"] for family in ("har", "log_har", "ewma")]
ENSEMBLES = {a.key.to_user_string(): a for a in ensemble_assets(MEMBERS)}
WINDOWS = (
    "rv_5d|2018-07-01",
    "rv_5d|2018-12-01",
)  # six months of member history, then ensembles of the last two


@pytest.fixture
def members(market: Path) -> tuple[DagsterInstance, Path]:
    with instance_for_test() as instance:
        assert run(instance, MEMBERS, market, *WINDOWS).success
        yield instance, market


def weights(warehouse: Path) -> pd.DataFrame:
    with open_warehouse(warehouse, read_only=True) as conn:
        return conn.execute("SELECT * EXCLUDE (created_at) FROM ensemble_weights ORDER BY ALL").df()


def test_every_combiner_writes_checked_forecasts_and_weights_and_reruns_identically(
    members: tuple[DagsterInstance, Path],
) -> None:
    instance, warehouse = members
    chosen = list(ENSEMBLES.values())
    result = run(instance, chosen, warehouse, "rv_5d|2018-11-01", "rv_5d|2018-12-01")
    assert result.success
    assert set(check_results(result).values()) == {True}
    for name in ENSEMBLES:  # each window with its own rows
        own_metadata(
            instance, result.run_id, name, warehouse, "forecasts", model=name.removesuffix("_forecasts")
        )

    rows = forecasts(warehouse)
    member_days = rows[rows["model"] == "har"].query("date >= '2018-11-01'")[["symbol", "date"]]
    for name in ENSEMBLES:
        model = name.removesuffix("_forecasts")
        mine = rows[rows["model"] == model]
        assert len(mine) == len(member_days)  # every member day of both windows, once
        assert (pd.to_datetime(mine["trained_through"]) < pd.to_datetime(mine["window_start"])).all()
        assert (mine["q05"] <= mine["forecast"] * 10).all() and (mine["q05"] <= mine["q95"]).all()
    stored = weights(warehouse)
    assert set(stored["member"]) == {"har", "log_har", "ewma"}
    daily = stored.groupby(["symbol", "date", "target", "model"])["weight"]
    assert ((daily.sum() - 1).abs() < 1e-9).all() and (stored["weight"] >= 0).all()

    assert run(instance, chosen, warehouse, "rv_5d|2018-12-01", "rv_5d|2018-12-01").success
    pd.testing.assert_frame_equal(forecasts(warehouse), rows)
    pd.testing.assert_frame_equal(weights(warehouse), stored)


def test_a_member_missing_days_fails_naming_it_and_writes_nothing(
    members: tuple[DagsterInstance, Path],
) -> None:
    instance, warehouse = members
    stacking = [ENSEMBLES["ensemble_stacking_forecasts"]]
    with open_warehouse(warehouse) as conn:  # one member lost a day of the window
        conn.execute(
            "DELETE FROM forecasts WHERE model = 'ewma' AND date = DATE '2018-12-12' AND symbol = 'SYN000'"
        )
    before = forecasts(warehouse)
    config = {"members": ["har", "log_har", "ewma"]}
    result = run(instance, stacking, warehouse, "rv_5d|2018-12-01", "rv_5d|2018-12-01", **config)
    assert not result.success
    (failure,) = result.get_step_failure_events()
    message = failure.step_failure_data.user_failure_data.description
    for fragment in ("SYN000", "ewma: 1 days", "2018-12-12", "use_present_members"):
        assert fragment in message, f"{fragment!r} missing from: {message}"
    pd.testing.assert_frame_equal(forecasts(warehouse), before)

    present = run(
        instance,
        stacking,
        warehouse,
        "rv_5d|2018-12-01",
        "rv_5d|2018-12-01",
        **config,
        use_present_members=True,
    )
    assert present.success
    metadata = present.asset_materializations_for_node("ensemble_stacking_forecasts")[0].metadata
    assert "ewma (SYN000)" in metadata["members_left_out"].value


def test_prediction_intervals_cover_every_model_and_ensemble_and_rerun_identically(
    members: tuple[DagsterInstance, Path],
) -> None:
    instance, warehouse = members
    equal = ENSEMBLES["ensemble_equal_log_forecasts"]
    intervals = intervals_asset([*MEMBERS, equal])
    assert run(instance, [equal], warehouse, *WINDOWS).success  # enough of its own history to calibrate
    calibrated = run(instance, [intervals], warehouse, "rv_5d|2018-11-01", "rv_5d|2018-12-01", min_scores=60)
    assert calibrated.success
    assert set(check_results(calibrated).values()) == {True}  # coherent as produced
    own_metadata(instance, calibrated.run_id, "prediction_intervals", warehouse, "intervals")

    def stored() -> pd.DataFrame:
        with open_warehouse(warehouse, read_only=True) as conn:
            return conn.execute("SELECT * EXCLUDE (created_at) FROM intervals ORDER BY ALL").df()

    rows = stored()
    assert set(rows["model"]) == {"har", "log_har", "ewma", "ensemble_equal_log"}
    fit_runs_have_their_window_scores(warehouse)
    assert set(rows["method"]) == {"split", "pid"} and set(rows["level"]) == {0.5, 0.8, 0.9, 0.95}
    assert ((rows["lower"] > 0) & (rows["lower"] <= rows["upper"])).all()
    wide = rows.pivot_table(index=["symbol", "date", "model", "method"], columns="level", values="upper")
    assert (wide.diff(axis=1).iloc[:, 1:] >= 0).all().all()  # a wider level is never narrower
    assert run(
        instance, [intervals], warehouse, "rv_5d|2018-12-01", "rv_5d|2018-12-01", min_scores=60
    ).success
    pd.testing.assert_frame_equal(stored(), rows)
    with open_warehouse(warehouse) as conn:  # what the blocking check counts, on a scratch copy of the table
        conn.execute("CREATE TABLE kept AS SELECT * FROM intervals")
        for change, level, defect in (
            ("upper = upper * 100", 0.5, "degenerate_bands"),
            ("point = upper * 1.01", 0.5, "point_outside_50_band"),
            ("lower = upper * 1.01", 0.8, "crossing_bounds"),
        ):
            one_row = f"level = {level} AND window_start = '2018-12-01' AND NOT skewed"
            conn.execute(
                f"UPDATE intervals SET {change} WHERE rowid = (SELECT min(rowid) FROM intervals WHERE {one_row})"
            )
            found = intervals_quality(conn, "rv_5d", dt.date(2018, 12, 1))
            conn.execute("DELETE FROM intervals; INSERT INTO intervals SELECT * FROM kept")
            assert found[defect] >= 1 and {k for k, v in found.items() if v} <= {defect, "crossing_bounds"}
        conn.execute("DROP TABLE kept")

    report = backtest_report_asset([*MEMBERS, equal], intervals)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORGE_HOME", str(warehouse.parent / "forge"))
        resources = {"warehouse": WarehouseResource(path=str(warehouse))}
        scored = materialize([report], instance=instance, resources=resources)
    assert scored.success
    metadata = scored.asset_materializations_for_node("backtest_report")[0].metadata
    assert "| split" in metadata["intervals_90"].value and "| pid" in metadata["intervals_90"].value
    assert (
        "| pid" in metadata["bands_as_produced"].value
        and "qlike_point" in metadata["points_raw_and_published"].value
    )
    assert {"figure_interval_calibration", "figure_interval_rolling_coverage_90"} <= set(metadata)


def fit_runs_have_their_window_scores(warehouse: Path) -> None:
    """Each member's fit run of a calibrated window holds its MSE ratio to HAR's on the same days and its pid
    bands' realised coverage, as the warehouse's rows give them."""
    with open_warehouse(warehouse, read_only=True) as conn:
        expected = conn.execute(
            """
            WITH days AS (
                SELECT f.symbol, f.model, f.date, f.forecast, h.forecast AS har, t.value AS y FROM forecasts AS f
                JOIN forecasts AS h ON h.symbol = f.symbol AND h.date = f.date AND h.target = f.target
                    AND h.model = 'har'
                JOIN targets AS t ON t.symbol = f.symbol AND t.date = f.date AND t.target = f.target
                WHERE f.target = 'rv_5d' AND f.window_start = DATE '2018-12-01' AND t.value > 0
            ), covered AS (
                SELECT i.symbol, i.model, avg(CAST(t.value BETWEEN i.lower AND i.upper AS DOUBLE)) AS coverage
                FROM intervals AS i JOIN targets AS t USING (symbol, date, target)
                WHERE i.target = 'rv_5d' AND i.window_start = DATE '2018-12-01' AND i.method = 'pid'
                    AND i.level = 0.9 AND t.value > 0
                GROUP BY ALL
            )
            SELECT symbol, model, avg(power(y - forecast, 2)) / avg(power(y - har, 2)) AS ratio, coverage
            FROM days JOIN covered USING (symbol, model) GROUP BY ALL
            """
        ).df()
    client = MlflowClient(tracking_uri=default_tracking_config().tracking_uri)
    experiment = client.get_experiment_by_name("volatilityforge/rv_5d").experiment_id
    assert set(expected["model"]) == {"har", "log_har", "ewma", "ensemble_equal_log"}
    for row in expected[expected["model"] != "ensemble_equal_log"].itertuples():  # an ensemble has no fit run
        (run,) = client.search_runs(
            [experiment], f"attributes.run_name = '{row.model}-rv_5d-{row.symbol}-2018-12-01'"
        )
        metrics = run.data.metrics
        assert metrics["oos_mse_ratio_har"] == pytest.approx(row.ratio, rel=1e-9)
        assert metrics["coverage_0.9"] == pytest.approx(row.coverage, rel=1e-9)
        assert run.data.tags["forge.coverage_method"] == "pid"
