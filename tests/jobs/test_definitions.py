"""The code location loads, its assets carry their operational metadata, and both instances are configured."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Definitions,
    MonthlyPartitionsDefinition,
    MultiPartitionsDefinition,
    PartitionKeyRange,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage

from forge_assets.checks import (
    DAILY_FEATURES_QUALITY,
    RAW_PRICES_GAPS,
    RAW_PRICES_PLAUSIBILITY,
    RAW_PRICES_QUALITY,
    RAW_PRICES_SPLITS,
    TARGETS_QUALITY,
)
from forge_assets.partitions import (
    live_days,
    market_years,
    model_partitions,
    target_partitions,
    walk_forward_windows,
)
from forge_core.models import MODEL_REGISTRY, EwmaModel
from forge_core.tuning import search_space
from forge_jobs.definitions import build_definitions, defs
from forge_jobs.instance import dagster_instance

REPO = Path(__file__).parents[2]
ASSETS = (
    "raw_prices",
    "daily_features",
    "targets",
    "option_quotes",
    "quote_summaries",
    "option_features",
    "market_features",
)
FAMILIES = ("random_walk", "ewma", "har", "log_har", "garch", "gjr_garch")
FORECASTS = tuple(f"{family}_forecasts" for family in FAMILIES)
NETS = ("mlp", "lstm", "gru", "tcn", "transformer")
NET_FORECASTS = tuple(f"{family}_forecasts" for family in NETS)
TUNABLE = ("ewma", *NETS)
HYPERPARAMETERS = tuple(f"{family}_hyperparameters" for family in TUNABLE)
COMBINERS = (
    "equal",
    "equal_log",
    "inverse_qlike",
    "stacking",
    "online",
    "regime",
    "markov_regime",
    "best_recent",
    "meta",
)
ENSEMBLES = tuple(f"ensemble_{name}_forecasts" for name in COMBINERS)
LIVE_DAILY = (
    "market_close",
    "live_regimes",
    "daily_forecasts",
    "forecast_scores",
    "promotions",
    "drift_report",
    "forecast_drivers",
    "forecast_paths",
)
MODULE = "forge_jobs.definitions"


# raw_prices' warnings, after its blocking quality check: (name, blocking)
RAW_PRICES_WARNINGS = [
    ("raw_prices_plausibility", False),
    ("raw_prices_gaps", False),
    ("raw_prices_splits", False),
]


def _assets_def(name: str) -> AssetsDefinition:
    return defs.resolve_assets_def(AssetKey(name))


def test_definitions_load_the_whole_graph_and_its_jobs() -> None:
    Definitions.validate_loadable(defs)
    everything = {
        *ASSETS,
        *FORECASTS,
        *NET_FORECASTS,
        *HYPERPARAMETERS,
        *ENSEMBLES,
        "prediction_intervals",
        "backtest_report",
        "risk_backtest",
        "strategy_backtest",
        "market_regimes",
        "live_models",
        "feature_importance",
        *LIVE_DAILY,
    }
    assert set(defs.resolve_all_asset_keys()) == {AssetKey(name) for name in everything}
    job = defs.resolve_job_def("market_data_job")
    assert job.asset_layer.selected_asset_keys == {AssetKey(name) for name in ASSETS}
    assert job.partitions_def == market_years
    baselines = defs.resolve_job_def("baselines_job")
    assert baselines.asset_layer.selected_asset_keys == {AssetKey(name) for name in FORECASTS}
    assert baselines.partitions_def == model_partitions
    deep = defs.resolve_job_def("deep_models_job")
    assert deep.asset_layer.selected_asset_keys == {AssetKey(name) for name in NET_FORECASTS}
    ensembles = defs.resolve_job_def("ensembles_job")
    assert ensembles.asset_layer.selected_asset_keys == {
        AssetKey(name) for name in (*ENSEMBLES, "prediction_intervals")
    }
    assert ensembles.partitions_def == model_partitions
    report = defs.resolve_assets_def(AssetKey("backtest_report"))
    assert {AssetKey(name) for name in (*FORECASTS, *ENSEMBLES, "prediction_intervals")} <= set(
        report.asset_deps[AssetKey("backtest_report")]
    )
    backtest = defs.resolve_job_def("backtest_report_job").asset_layer.selected_asset_keys
    assert backtest == {AssetKey(name) for name in ("backtest_report", "risk_backtest", "strategy_backtest")}
    regimes = defs.resolve_job_def("regimes_job")
    assert regimes.asset_layer.selected_asset_keys == {AssetKey("market_regimes")}
    assert regimes.partitions_def == walk_forward_windows
    tuning = defs.resolve_job_def("tuning_job")
    assert tuning.asset_layer.selected_asset_keys == {AssetKey(name) for name in HYPERPARAMETERS}
    daily = defs.resolve_job_def("daily_job")
    assert daily.asset_layer.selected_asset_keys == {AssetKey(name) for name in LIVE_DAILY}
    assert daily.partitions_def == live_days
    retrain = defs.resolve_job_def("retrain_job")
    assert retrain.asset_layer.selected_asset_keys == {
        AssetKey("live_models"),
        AssetKey("feature_importance"),
    }
    assert retrain.partitions_def == target_partitions
    assert defs.resolve_job_def("rollback_job").name == "rollback_job"
    assert defs.get_schedule_def("daily_forecast_schedule").execution_timezone == "America/New_York"
    assert defs.get_sensor_def("retrain_on_drift_or_degradation").job_name == "retrain_job"


@pytest.mark.parametrize("family", NETS)
def test_net_assets_train_in_the_gpu_pool_downstream_of_their_tuned_hyperparameters(family: str) -> None:
    forecasts, tuned = _assets_def(f"{family}_forecasts"), _assets_def(f"{family}_hyperparameters")
    (spec,) = forecasts.specs
    assert spec.group_name == "deep_models" and forecasts.op.pool == "gpu"
    assert forecasts.partitions_def == model_partitions
    assert AssetKey(f"{family}_hyperparameters") in {dep.asset_key for dep in spec.deps}
    assert [(check.name, check.blocking) for check in forecasts.check_specs] == [
        (f"{family}_forecasts_quality", True)
    ]
    assert tuned.partitions_def == model_partitions.get_partitions_def_for_dimension("target")
    assert {"warehouse", "compute", "tracking"} <= forecasts.required_resource_keys
    assert {"warehouse", "tuning", "compute"} <= tuned.required_resource_keys


@pytest.mark.parametrize("name", FORECASTS)
def test_forecast_assets_are_walk_forward_partitions_with_a_blocking_check(name: str) -> None:
    assets_def = _assets_def(name)
    (spec,) = assets_def.specs
    assert spec.description and spec.group_name == "baselines" and spec.owners == ["team:quant-research"]
    assert assets_def.partitions_def == model_partitions
    assert assets_def.backfill_policy == BackfillPolicy.single_run()
    upstream = {AssetKey("daily_features"), AssetKey("targets")}
    if name == "ewma_forecasts":  # the one tunable baseline
        upstream.add(AssetKey("ewma_hyperparameters"))
    assert {dep.asset_key for dep in spec.deps} == upstream
    assert [(check.name, check.blocking) for check in assets_def.check_specs] == [(f"{name}_quality", True)]
    assert {"warehouse", "compute", "tracking"} <= assets_def.required_resource_keys


@pytest.mark.parametrize("name", ASSETS)
def test_asset_operational_metadata(name: str) -> None:
    assets_def = _assets_def(name)
    (spec,) = assets_def.specs
    assert spec.description
    assert spec.group_name == "market_data"
    assert spec.owners == ["team:quant-research"]
    assert "duckdb" in spec.kinds
    assert assets_def.op.pool == "warehouse"
    assert assets_def.backfill_policy == BackfillPolicy.single_run()
    assert assets_def.partitions_def == market_years
    warnings = RAW_PRICES_WARNINGS if name == "raw_prices" else []
    assert [(check.name, check.blocking) for check in assets_def.check_specs] == [
        (f"{name}_quality", True),
        *warnings,
    ]


def test_partitions() -> None:
    assert market_years.get_partition_keys_in_range(PartitionKeyRange("2010", "2012")) == [
        "2010",
        "2011",
        "2012",
    ]
    from forge_assets.partitions import configured_end, configured_start, market_years_partitions

    # FORGE_START_DATE / FORGE_END_DATE bound the partitions (in tests 1999 through today: tests/conftest.py)
    assert market_years == market_years_partitions(configured_start(), configured_end())
    if configured_end() is None:
        assert market_years.end_offset == 1 and market_years.end is None
    assert isinstance(walk_forward_windows, MonthlyPartitionsDefinition)
    assert isinstance(model_partitions, MultiPartitionsDefinition)
    assert model_partitions.partition_dimension_names == ["target", "window"]
    targets = model_partitions.get_partitions_def_for_dimension("target")
    assert targets.get_partition_keys() == ["rv_1d", "rv_5d", "rv_22d"]
    assert model_partitions.get_partitions_def_for_dimension("window") == walk_forward_windows


def test_workspace_and_pyproject_point_at_the_definitions() -> None:
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    assert [entry["python_module"]["module_name"] for entry in workspace["load_from"]] == [MODULE]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["tool"]["dagster"]["module_name"] == MODULE


def test_production_dagster_yaml_takes_every_credential_from_the_environment() -> None:
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    assert config["storage"]["postgres"]["postgres_db"] == {
        "scheme": "postgresql+psycopg2",
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
    }
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert (
        config["run_monitoring"]["enabled"]
        and config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0
    )


def test_embedded_instance_is_sqlite_under_forge_home(
    forge_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", "")  # unset for dagster_instance(); monkeypatch restores what it sets
    with dagster_instance() as instance:
        home = forge_home / "dagster"
        assert Path(instance.root_directory) == home
        assert os.environ["DAGSTER_HOME"] == str(home)
        assert isinstance(instance.run_storage, SqliteRunStorage)
        assert isinstance(instance.event_log_storage, SqliteEventLogStorage)
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 30
    assert (home / "dagster.yaml").is_file()
    assert (home / "history" / "runs.db").is_file()


def test_market_data_checks_are_named_constants_with_an_explicit_severity() -> None:
    for check in (RAW_PRICES_QUALITY, DAILY_FEATURES_QUALITY, TARGETS_QUALITY):
        assert check.name == f"{check.asset}_quality"
        assert check.severity == AssetCheckSeverity.ERROR and check.blocking
        spec = next(iter(_assets_def(check.asset).check_specs))
        assert (spec.name, spec.blocking, spec.description) == (check.name, True, check.description)
    warnings = (RAW_PRICES_PLAUSIBILITY, RAW_PRICES_GAPS, RAW_PRICES_SPLITS)
    assert [(w.name, w.blocking) for w in warnings] == RAW_PRICES_WARNINGS
    assert all(w.severity == AssetCheckSeverity.WARN for w in warnings)
    assert [spec.name for spec in _assets_def("raw_prices").check_specs][1:] == [w.name for w in warnings]


class ThrowawayModel(EwmaModel):
    """A family declared at test time: one class, one registry line."""

    family = "throwaway"
    description = "A throwaway family that only exists in this test."
    group = "deep_models"
    kinds = frozenset({"pytorch"})
    pool = "gpu"


def test_a_family_declared_once_gets_its_assets_paired_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODEL_REGISTRY, "throwaway", ThrowawayModel)  # the registry line
    built = build_definitions()
    forecasts = built.resolve_assets_def(AssetKey("throwaway_forecasts"))
    tuned = built.resolve_assets_def(AssetKey("throwaway_hyperparameters"))
    (spec,) = forecasts.specs
    assert spec.description and spec.description.startswith(ThrowawayModel.description)
    assert spec.group_name == "deep_models" and forecasts.op.pool == "gpu" and tuned.op.pool == "gpu"
    assert set(spec.kinds) == {"pytorch", "mlflow", "duckdb"}
    # paired by name, never by position: each family's forecasts depend on its own hyperparameters only
    for family in (*TUNABLE, "throwaway"):
        (each,) = built.resolve_assets_def(AssetKey(f"{family}_forecasts")).specs
        assert {d.asset_key for d in each.deps if d.asset_key.path[0].endswith("_hyperparameters")} == {
            AssetKey(f"{family}_hyperparameters")
        }
    assert search_space("throwaway") is ThrowawayModel.search_space
    assert (
        AssetKey("throwaway_forecasts")
        in built.resolve_job_def("deep_models_job").asset_layer.selected_asset_keys
    )
    assert (
        AssetKey("throwaway_hyperparameters")
        in built.resolve_job_def("tuning_job").asset_layer.selected_asset_keys
    )
    (report,) = built.resolve_assets_def(AssetKey("backtest_report")).specs
    assert AssetKey("throwaway_forecasts") in {d.asset_key for d in report.deps}
    assert AssetKey("throwaway_forecasts") not in set(defs.resolve_all_asset_keys())  # only while registered


def test_asset_descriptions_render_as_written() -> None:
    """The UI renders descriptions as Markdown with HTML: a placeholder like <target> outside a code span vanishes."""
    for key in defs.resolve_all_asset_keys():
        (spec,) = [s for s in defs.resolve_assets_def(key).specs if s.key == key]
        prose = re.sub(r"`[^`]*`", "", spec.description or "")
        assert not re.search(r"<[A-Za-z_][\w-]*>", prose), f"{key.to_user_string()}: {spec.description}"
