"""The torch families through real Dagster runs: training on the compute resource, MLflow tracking and registry,
tuned hyperparameters used only after their tuning data, the blocking check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dagster import DagsterEventType, DagsterInstance, instance_for_test, materialize
from mlflow import MlflowClient

from forge_assets.model_families import family_assets
from forge_core.forecasting.panel import load_panel
from forge_core.targets import DEFAULT_TARGETS
from forge_core.tracking import experiment_name, load_registered, registered_name
from forge_core.tuning.tuned_params import TunedParams, save_tuned_params
from forge_core.warehouse.connection import open_warehouse
from forge_resources import ComputeResource, MlflowResource, OptunaResource, WarehouseResource
from tests.assets.test_baselines import windows_table

ASSETS = family_assets()
FORECASTS = {a.key.to_user_string(): a for a in ASSETS.forecasts.values()}
TUNING = {a.key.to_user_string(): a for a in ASSETS.hyperparameters.values()}
TRAINED = {"epochs": 30, "patience": 5}  # the HAR-initialised MLP: a fraction of a second per fit on the CPU
UNDERTRAINED = {"epochs": 2, "patience": 1}  # an LSTM stopped this early does not beat the random walk
RV_5D = next(spec for spec in DEFAULT_TARGETS if spec.name == "rv_5d")


def resources(warehouse: Path) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(path=str(warehouse)),
        "compute": ComputeResource(device="cpu"),
        "tracking": MlflowResource(),
        "tuning": OptunaResource(),
    }


def backfill(
    instance: DagsterInstance, asset_name: str, warehouse: Path, first: str, last: str, **kwargs: object
):
    return materialize(
        [FORECASTS[asset_name]],
        instance=instance,
        resources=resources(warehouse),
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        **kwargs,
    )


def stored_forecasts(warehouse: Path, model: str) -> pd.DataFrame:
    with open_warehouse(warehouse, read_only=True) as conn:
        frame = conn.execute("SELECT * FROM forecasts WHERE model = $m ORDER BY ALL", {"m": model}).df()
    return frame.assign(window_start=pd.to_datetime(frame["window_start"]).dt.date)


@pytest.fixture
def small_nets(market: Path) -> Path:
    """Stored hyperparameters (as if tuned on data before 2018-11) for a trained MLP and an undertrained LSTM."""
    with open_warehouse(market) as conn:
        for family, params in (("mlp", TRAINED), ("lstm", UNDERTRAINED)):
            save_tuned_params(
                conn, TunedParams(family, "rv_5d", params, dt.date(2018, 11, 1), 0.0, 1, "fixture")
            )
    return market


def test_nets_train_per_window_track_every_fit_and_reload_exactly(small_nets: Path) -> None:
    with instance_for_test() as instance:
        result = backfill(instance, "mlp_forecasts", small_nets, "rv_5d|2018-11-01", "rv_5d|2018-12-01")
        assert result.success
        logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("epoch" in message and "mlp" in message for message in logs), (
        "per-epoch progress in the run log"
    )
    checks = [e for e in result.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    assert [e.event_specific_data.passed for e in checks] == [True]
    metadata = result.asset_materializations_for_node("mlp_forecasts")[0].metadata
    assert metadata["mlflow_run"].value.startswith("http://127.0.0.1:5000/#/experiments/")  # a link in the UI
    assert f"]({metadata['mlflow_run'].value})" in metadata["mlflow_runs"].value

    config = MlflowResource().config()
    client = MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.registry_uri)
    experiment = client.get_experiment_by_name(experiment_name("rv_5d"))
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2 * 2  # symbols x windows
    run = runs[0]
    assert {"forge.code_version", "forge.window_start", "forge.symbol"} <= set(run.data.tags)
    assert run.data.params["epochs"] == "30"
    assert float(run.data.params["valid_qlike"]) < float(run.data.params["valid_qlike_random_walk"])
    assert any(key.startswith("epoch/") for key in run.data.metrics)
    # the window's out-of-sample scores as metrics (the 2018-11 and 2018-12 targets are realised in the market)
    assert {"fit_seconds", "oos_qlike", "oos_mse", "oos_days"} <= set(run.data.metrics)
    assert run.data.metrics["oos_days"] > 0 and run.data.metrics["oos_qlike"] > 0
    versions = client.search_model_versions(f"name='{registered_name('rv_5d', 'mlp')}'")
    assert len(versions) == 4

    # the registered model of one symbol and window, loaded back, reproduces its stored forecasts exactly
    newest = max(versions, key=lambda v: int(v.version))
    symbol, window = newest.tags["forge.symbol"], dt.date.fromisoformat(newest.tags["forge.window_start"])
    model = load_registered(config, registered_name("rv_5d", "mlp"), int(newest.version))
    with open_warehouse(small_nets, read_only=True) as conn:
        panel = load_panel(conn, RV_5D, dt.date(2019, 1, 1))
    history = panel[panel["symbol"] == symbol].reset_index(drop=True)
    stored = stored_forecasts(small_nets, "mlp")
    stored = stored[(stored["symbol"] == symbol) & (stored["window_start"] == window)]
    in_window = history["date"].isin(stored["date"]).to_numpy()
    assert np.array_equal(model.predict(history)[in_window], stored["forecast"].to_numpy())


def test_a_net_that_loses_to_the_random_walk_on_validation_fails_its_blocking_check(small_nets: Path) -> None:
    with instance_for_test() as instance:
        result = backfill(
            instance,
            "lstm_forecasts",
            small_nets,
            "rv_5d|2018-11-01",
            "rv_5d|2018-11-01",
            raise_on_error=False,
        )
    (check,) = [e for e in result.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    assert not check.event_specific_data.passed
    assert check.event_specific_data.metadata["validation_loss_below_random_walk"].value >= 1


def test_tuned_parameters_apply_only_to_windows_after_their_tuning_data(market: Path) -> None:
    with instance_for_test() as instance:
        tuned = materialize(
            [TUNING["mlp_hyperparameters"]],
            instance=instance,
            resources=resources(market),
            partition_key="rv_5d",
            run_config={
                "ops": {
                    "mlp_hyperparameters": {
                        "config": {"tune_before": "2019-01-01", "windows": 2, "n_trials": 3}
                    }
                }
            },
        )
        assert tuned.success
        metadata = tuned.asset_materializations_for_node("mlp_hyperparameters")[0].metadata
        assert metadata["trials"].value >= 3 and any(
            k.startswith("figure_mlp-rv_5d-before-2019-01-01-") and k.endswith("_history") for k in metadata
        )
        result = backfill(instance, "mlp_forecasts", market, "rv_5d|2018-12-01", "rv_5d|2019-01-01")
    assert result.success
    windows = {
        row["window"]: row["tuned"]
        for event in result.get_asset_materialization_events()
        for row in windows_table(event.materialization.metadata["windows_table"].value)
    }
    assert windows == {"2018-12-01": "False", "2019-01-01": "True"}
    with open_warehouse(market, read_only=True) as conn:
        (tuned_before,) = conn.execute(
            "SELECT tuned_before FROM hyperparameters WHERE family = 'mlp'"
        ).fetchone()
    assert tuned_before == dt.date(2019, 1, 1)
