"""The walk-forward baseline backtest through real Dagster runs: model partitions, checks and the report."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    ExecuteInProcessResult,
    MetadataValue,
    instance_for_test,
    materialize,
)
from mlflow import MlflowClient

from forge_assets.backtest_report import backtest_report_asset
from forge_assets.model_families import family_assets
from forge_core.models import families
from forge_core.models.variants import ModelVariant
from forge_core.settings import reports_dir
from forge_core.warehouse.connection import open_warehouse
from forge_resources import ComputeResource, MlflowResource, WarehouseResource

FORECASTS = family_assets().forecasts
baseline_forecasts = [FORECASTS[family] for family in families("baselines")]
backtest_report = backtest_report_asset(list(FORECASTS.values()))
BY_NAME = {a.key.to_user_string(): a for a in baseline_forecasts}


def resources(warehouse: Path) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(path=str(warehouse)),
        "compute": ComputeResource(device="cpu"),
        "tracking": MlflowResource(),
    }


def run(instance: DagsterInstance, assets: list, warehouse: Path, first: str, last: str, **config: object):
    run_config = {"ops": {a.op.name: {"config": config} for a in assets}} if config else None
    return materialize(
        assets,
        instance=instance,
        resources=resources(warehouse),
        run_config=run_config,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )


def forecasts(warehouse: Path) -> pd.DataFrame:
    with open_warehouse(warehouse, read_only=True) as conn:
        return conn.execute("SELECT * EXCLUDE (created_at) FROM forecasts ORDER BY ALL").df()


def check_results(result: ExecuteInProcessResult) -> dict[str, bool]:
    events = [e for e in result.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    return {e.event_specific_data.check_name: e.event_specific_data.passed for e in events}


def windows_table(markdown: str) -> list[dict[str, str]]:
    """The rows of a ``windows_table`` (markdown), as column -> cell."""
    header, _, *rows = (
        [cell.strip() for cell in line.strip("|").split("|")] for line in markdown.splitlines()
    )
    return [dict(zip(header, row, strict=True)) for row in rows]


def own_metadata(
    instance: DagsterInstance, run_id: str, asset: str, warehouse: Path, table: str, **where: object
) -> dict[str, Mapping[str, MetadataValue]]:
    """``asset``'s materialisations of run ``run_id`` as ``instance`` stored them, by partition, after checking
    that there is one per partition, with the row count ``table`` holds for that partition (target and window
    start, and ``where``) and a windows table listing that window alone."""
    events = [
        entry.dagster_event.step_materialization_data.materialization
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        if entry.dagster_event is not None and entry.dagster_event.asset_key == AssetKey(asset)
    ]
    found = {str(event.partition): event.metadata for event in events}
    assert len(found) == len(events) > 1, "one materialisation per partition, of several"
    with open_warehouse(warehouse, read_only=True) as conn:
        for partition, metadata in found.items():
            *target, window = partition.split("|")  # target|window, or a window alone
            keys = {"window_start": dt.date.fromisoformat(window), **where}
            if target:
                keys["target"] = target[0]
            (count,) = conn.execute(
                f"SELECT count(*) FROM {table} WHERE " + " AND ".join(f"{k} = ${k}" for k in keys), keys
            ).fetchone()
            assert metadata["dagster/row_count"].value == count > 0, partition
            shown = [
                (row.get("target"), row["window"]) for row in windows_table(metadata["windows_table"].value)
            ]
            assert shown == [(keys.get("target"), window)], partition
    return found


def test_a_backfill_of_windows_runs_once_and_forecasts_every_day_out_of_sample(market: Path) -> None:
    chosen = [BY_NAME["har_forecasts"], BY_NAME["gjr_garch_forecasts"]]
    with instance_for_test() as instance:
        result = run(instance, chosen, market, "rv_1d|2019-01-01", "rv_22d|2019-03-01")
        assert result.success
        assert len(instance.get_runs()) == 1
        expected = {f"{t}|2019-0{m}-01" for t in ("rv_1d", "rv_22d", "rv_5d") for m in (1, 2, 3)}
        for asset in chosen:
            assert instance.get_materialized_partitions(asset.key) == expected
    assert check_results(result) == {"har_forecasts_quality": True, "gjr_garch_forecasts_quality": True}

    rows = forecasts(market)
    rows["window_start"] = pd.to_datetime(rows["window_start"])
    assert set(rows["model"]) == {"har", "gjr_garch"}
    assert (pd.to_datetime(rows["trained_through"]) < rows["window_start"]).all()
    assert (rows["date"].dt.to_period("M") == rows["window_start"].dt.to_period("M")).all()
    assert len(rows) == 2 * 3 * 2 * len(
        pd.bdate_range("2019-01-01", "2019-03-31")
    )  # models x targets x symbols


def test_rerunning_a_window_gives_identical_rows(market: Path) -> None:
    har = [BY_NAME["har_forecasts"]]
    with instance_for_test() as instance:
        assert run(instance, har, market, "rv_5d|2019-01-01", "rv_5d|2019-02-01").success
        first = forecasts(market)
        assert run(instance, har, market, "rv_5d|2019-02-01", "rv_5d|2019-02-01").success
    pd.testing.assert_frame_equal(forecasts(market), first)


def test_a_window_without_enough_history_fails_in_one_line_and_writes_nothing(market: Path) -> None:
    with instance_for_test() as instance:
        result = run(
            instance,
            [BY_NAME["har_forecasts"]],
            market,
            "rv_1d|2019-01-01",
            "rv_1d|2019-01-01",
            min_train_rows=10**6,
        )
    assert not result.success and check_results(result) == {}  # refused, not a failed blocking check
    assert forecasts(market).empty
    (failure,) = result.get_step_failure_events()
    data = failure.step_failure_data.user_failure_data
    assert data.description.startswith("har: no symbol has enough history to fit in 1 of the run's windows")
    shortfalls = data.metadata["short_histories"].value
    assert set(shortfalls) == {"SYN000", "SYN001"}
    assert all(row["rv_1d"]["needed"] == 10**6 for row in shortfalls.values())


def test_the_report_scores_the_stored_forecasts_with_tables_and_figures(
    market: Path, forge_home: Path
) -> None:
    families = [BY_NAME[f"{f}_forecasts"] for f in ("har", "log_har", "ewma")]
    with instance_for_test() as instance:
        assert run(instance, families, market, "rv_1d|2018-01-01", "rv_5d|2018-12-01").success
        report = materialize([backtest_report], instance=instance, resources=resources(market))
    assert report.success
    metadata = report.asset_materializations_for_node("backtest_report")[0].metadata
    assert "qlike_ratio" in metadata["summary"].value
    assert metadata["dagster/row_count"].value == 2 * 2 * 3  # symbols x targets x models
    folder = forge_home / "reports" / "backtest"
    overall = pd.read_csv(folder / "overall.csv")
    assert (overall.loc[overall["model"] == "har", "qlike_ratio"] == 1).all()
    assert (folder / "rv_1d_forecast_vs_realised.png").read_bytes()[:4] == b"\x89PNG"
    assert metadata["figure_rv_5d_cumulative_qlike_vs_har"].value.startswith(
        "![rv_5d_cumulative_qlike_vs_har](data:image/png;base64,"
    )


def test_the_report_says_what_to_do_when_nothing_was_backfilled(market: Path) -> None:
    with instance_for_test() as instance:
        result = materialize(
            [backtest_report], instance=instance, resources=resources(market), raise_on_error=False
        )
    assert not result.success
    assert (
        "backfill some walk-forward windows"
        in result.get_step_failure_events()[0].step_failure_data.error.message
    )


def test_forecast_assets_depend_on_the_features_and_targets() -> None:
    for asset in baseline_forecasts:
        (spec,) = asset.specs
        tuned = {AssetKey(f"{asset.key.path[0].removesuffix('_forecasts')}_hyperparameters")}
        upstream = {dep.asset_key for dep in spec.deps}
        assert upstream - tuned == {AssetKey("daily_features"), AssetKey("targets")}


def test_every_baseline_fit_is_tracked_and_a_tracking_failure_writes_nothing(
    market: Path, tmp_path: Path
) -> None:
    chosen = [BY_NAME["har_forecasts"]]
    with instance_for_test() as instance:
        assert run(instance, chosen, market, "rv_5d|2019-02-01", "rv_5d|2019-02-01").success
        client = MlflowClient(tracking_uri=MlflowResource().config().tracking_uri)
        experiment = client.get_experiment_by_name("volatilityforge/rv_5d")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id])
        assert sorted(r.data.tags["forge.symbol"] for r in runs) == ["SYN000", "SYN001"]
        assert {(r.data.tags["forge.family"], r.data.tags["forge.model"]) for r in runs} == {("har", "har")}
        assert len(client.search_model_versions("name = 'rv_5d-har'")) == 2
        before = forecasts(market)
        with open_warehouse(market, read_only=True) as conn:
            stamps = conn.execute("SELECT DISTINCT created_at FROM forecasts").fetchall()

        blocker = tmp_path / "not_a_folder"
        blocker.write_text("a file where the MLflow store's folder should be")
        broken = {
            **resources(market),
            "tracking": MlflowResource(tracking_uri=f"sqlite:///{blocker}/mlflow.db"),
        }
        failed = materialize(
            chosen,
            instance=instance,
            resources=broken,
            partition_key="rv_5d|2019-02-01",
            run_config={"ops": {"har_forecasts": {"config": {"recompute": True}}}},  # else the window is kept
            raise_on_error=False,
        )
        assert not failed.success
    pd.testing.assert_frame_equal(forecasts(market), before)  # the old partition, not a half-tracked new one
    with open_warehouse(market, read_only=True) as conn:
        assert conn.execute("SELECT DISTINCT created_at FROM forecasts").fetchall() == stamps


def kept(instance: DagsterInstance, result: ExecuteInProcessResult, warehouse: Path) -> dict[str, str]:
    """Window -> whether the run kept it, as each partition's metadata shows."""
    found = own_metadata(
        instance, result.run_id, "gjr_garch_forecasts", warehouse, "forecasts", model="gjr_garch"
    )
    return {
        row["window"]: row["kept"]
        for metadata in found.values()
        for row in windows_table(metadata["windows_table"].value)
    }


def test_a_rerun_backfill_keeps_the_windows_already_done_unless_told_to_recompute(market: Path) -> None:
    chosen = [BY_NAME["gjr_garch_forecasts"]]
    with instance_for_test() as instance:
        assert run(instance, chosen, market, "rv_5d|2019-01-01", "rv_5d|2019-02-01").success  # then killed
        resumed = run(instance, chosen, market, "rv_5d|2019-01-01", "rv_5d|2019-04-01")
        assert resumed.success
        windows = kept(instance, resumed, market)
        assert windows == {
            "2019-01-01": "True",
            "2019-02-01": "True",
            "2019-03-01": "False",
            "2019-04-01": "False",
        }
        assert check_results(resumed) == {"gjr_garch_forecasts_quality": True}
        refit = run(instance, chosen, market, "rv_5d|2019-01-01", "rv_5d|2019-04-01", recompute=True)
        assert set(kept(instance, refit, market).values()) == {"False"}


def test_feature_variants_walk_forward_beside_their_family_and_the_report_pairs_them(market: Path) -> None:
    chosen = family_assets(variants=[ModelVariant.parse("log_har_with_vix")])
    variant = chosen.variants["log_har_with_vix"]
    assert {k.to_user_string() for k in variant.dependency_keys} == {"daily_features", "targets"}
    models = [chosen.forecasts["log_har"], variant]
    with instance_for_test() as instance:
        result = run(instance, models, market, "rv_1d|2019-01-01", "rv_1d|2019-06-01")
        assert result.success and check_results(result)["log_har_with_vix_forecasts_quality"]
        report = materialize(
            [backtest_report_asset(models)],
            instance=instance,
            resources=resources(market),
            raise_on_error=False,
        )
        assert report.success
    stored = forecasts(market)
    assert set(stored["model"]) == {"log_har", "log_har_with_vix"}
    with open_warehouse(market, read_only=True) as conn:
        (params,) = conn.execute(
            "SELECT any_value(params) FROM model_fits WHERE model = 'log_har_with_vix'"
        ).fetchall()
    assert json.loads(params[0])["exog"] == "vix_variance"
    client = MlflowClient(tracking_uri=MlflowResource().config().tracking_uri)
    experiment = client.get_experiment_by_name("volatilityforge/rv_1d").experiment_id
    runs = client.search_runs([experiment], "tags.`forge.model` = 'log_har_with_vix'")
    assert runs and {r.data.tags["forge.family"] for r in runs} == {"log_har"}  # told apart from its family's
    gain = pd.read_csv(reports_dir() / "backtest" / "feature_gain.csv")
    assert sorted(gain["symbol"]) == ["SYN000", "SYN001"] and set(gain["with"]) == {"log_har_with_vix"}
    assert gain["n"].min() > 100 and gain["qlike_ratio"].between(0.5, 1.5).all()
    (event,) = report.get_asset_materialization_events()
    assert "Feature sets: QLIKE ratio with / without" in event.materialization.metadata["summary"].value
