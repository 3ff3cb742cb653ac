"""resources_from_env: a set FORGE_* variable reaches its resource as an EnvVar, so the Dagster UI and everything the
instance stores show the variable's name and never a password, while inside a run the resource holds the value;
with nothing set the resources resolve to the embedded defaults under FORGE_HOME."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._core.test_utils import in_process_test_workspace
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceRequestContext
from dagster._serdes import serialize_value
from dagster_graphql.test.utils import execute_dagster_graphql, infer_repository, infer_repository_selector

from forge_core import settings
from forge_jobs.resources import env_or_default, resources_from_env
from forge_resources import MarketDataResource, MlflowResource, WarehouseResource
from tests.resources.env_location import location, resolved_settings

REPO = Path(__file__).parents[2]
PASSWORD = "s3cret"
TRACKING = f"postgresql+psycopg2://forge:{PASSWORD}@db:5432/mlflow"
REGISTRY = f"postgresql+psycopg2://forge:{PASSWORD}@db:5432/mlflow_registry"
OPTUNA = f"postgresql+psycopg2://forge:{PASSWORD}@db:5432/optuna"

# (resource, field) -> the variable resources_from_env reads for it; FORGE_SOURCE is a plain value (a choice)
ENV_FIELDS = {
    ("warehouse", "path"): "FORGE_WAREHOUSE",
    ("market_data", "files_path"): "FORGE_FILES_PATH",
    ("market_data", "synthetic_symbols"): "FORGE_SYNTHETIC_SYMBOLS",
    ("market_data", "synthetic_seed"): "FORGE_SYNTHETIC_SEED",
    ("market_data", "synthetic_start"): "FORGE_SYNTHETIC_START",
    ("market_data", "synthetic_shift"): "FORGE_SYNTHETIC_SHIFT",
    ("market_data", "calendar"): "FORGE_CALENDAR",
    ("compute", "device"): "FORGE_DEVICE",
    ("compute", "precision"): "FORGE_PRECISION",
    ("tracking", "tracking_uri"): "FORGE_MLFLOW_TRACKING_URI",
    ("tracking", "registry_uri"): "FORGE_MLFLOW_REGISTRY_URI",
    ("tracking", "artifact_root"): "FORGE_MLFLOW_ARTIFACT_ROOT",
    ("tuning", "storage_url"): "FORGE_OPTUNA_STORAGE",
}
VARIABLES = (*ENV_FIELDS.values(), "FORGE_SOURCE")

# the webserver's own query fields: the resource pages and the code location's environment variables tab
RESOURCES_QUERY = """
query ($selector: RepositorySelector!) {
  allTopLevelResourceDetailsOrError(repositorySelector: $selector) {
    __typename
    ... on ResourceDetailsList { results { name configuredValues { key value type } } }
  }
  utilizedEnvVarsOrError(repositorySelector: $selector) {
    __typename
    ... on EnvVarWithConsumersList { results { envVarName envVarConsumers { type name } } }
  }
}
"""


@pytest.fixture(autouse=True)
def no_forge_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start from the embedded mode whatever the calling shell exports."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every variable set, the MLflow and Optuna stores on a Postgres whose URIs carry a password."""
    values = {
        "FORGE_WAREHOUSE": str(tmp_path / "prod" / "warehouse.duckdb"),
        "FORGE_SOURCE": "synthetic",
        "FORGE_FILES_PATH": str(tmp_path / "bars"),
        "FORGE_SYNTHETIC_SYMBOLS": "3",
        "FORGE_SYNTHETIC_SEED": "11",
        "FORGE_SYNTHETIC_START": "2001-02-05",
        "FORGE_SYNTHETIC_SHIFT": "2001-06-01*1.5",
        "FORGE_CALENDAR": "XLON",
        "FORGE_DEVICE": "cpu",
        "FORGE_PRECISION": "fp32",
        "FORGE_MLFLOW_TRACKING_URI": TRACKING,
        "FORGE_MLFLOW_REGISTRY_URI": REGISTRY,
        "FORGE_MLFLOW_ARTIFACT_ROOT": "s3://forge-artifacts/mlflow",
        "FORGE_OPTUNA_STORAGE": OPTUNA,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture
def workspace(instance: dg.DagsterInstance) -> Iterator[WorkspaceRequestContext]:
    """The env_location code location, loaded in process (after the test's variables are set)."""
    origin = LoadableTargetOrigin(
        module_name="tests.resources.env_location", attribute="location", working_directory=str(REPO)
    )
    with in_process_test_workspace(instance, origin) as context:
        assert context.get_code_location_error(context.code_location_names[0]) is None
        yield context


def _ui_view(context: WorkspaceRequestContext) -> dict[str, Any]:
    """The GraphQL answer the UI renders, plus {(resource, field): (type, value)} drawn from it."""
    data = execute_dagster_graphql(
        context, RESOURCES_QUERY, {"selector": infer_repository_selector(context)}
    ).data
    resources = data["allTopLevelResourceDetailsOrError"]
    assert resources["__typename"] == "ResourceDetailsList"
    configured = {
        (res["name"], value["key"]): (value["type"], value["value"])
        for res in resources["results"]
        for value in res["configuredValues"]
    }
    env_vars = {
        entry["envVarName"]: sorted(consumer["name"] for consumer in entry["envVarConsumers"])
        for entry in data["utilizedEnvVarsOrError"]["results"]
    }
    return {"raw": data, "configured": configured, "env_vars": env_vars}


def _stored_run(instance: dg.DagsterInstance, run_id: str) -> str:
    """Everything the instance persisted for a run: the run (with its run config), the job and execution plan
    snapshots (resource config schemas with their bound values as defaults) and the event log."""
    run = instance.get_run_by_id(run_id)
    assert run is not None
    parts: list[Any] = [
        run,
        instance.get_job_snapshot(run.job_snapshot_id),
        instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id),
        *instance.all_logs(run_id),
    ]
    return "\n".join(serialize_value(part) for part in parts)


def test_the_ui_shows_variable_names_never_the_password(
    production: dict[str, str], workspace: WorkspaceRequestContext
) -> None:
    view = _ui_view(workspace)
    for (resource, field), name in ENV_FIELDS.items():
        assert view["configured"][(resource, field)] == ("ENV_VAR", name)
        assert view["env_vars"][name] == [resource]
    assert view["configured"][("market_data", "source")] == ("VALUE", '"synthetic"')
    assert PASSWORD not in json.dumps(view["raw"])
    # the snapshot the code server hands the webserver carries the names, not the values
    snapshot = serialize_value(infer_repository(workspace).repository_snap)
    assert PASSWORD not in snapshot
    assert "FORGE_MLFLOW_TRACKING_URI" in snapshot
    assert "FORGE_OPTUNA_STORAGE" in snapshot


def test_a_plain_uri_would_show_its_password_in_the_same_snapshot() -> None:
    """The check above can fail: bound as a plain string, the URI lands in the UI's configured values."""
    defs = dg.Definitions(
        assets=[resolved_settings],
        resources={**resources_from_env(), "tracking": MlflowResource(tracking_uri=TRACKING)},
    )
    snap = RepositorySnap.from_def(defs.get_repository_def())
    tracking = next(res for res in snap.resources if res.name == "tracking")
    assert tracking.configured_values["tracking_uri"] == json.dumps(TRACKING)
    assert PASSWORD in serialize_value(snap)


def test_inside_a_run_the_resources_hold_the_values_and_the_instance_stores_no_password(
    production: dict[str, str], instance: dg.DagsterInstance
) -> None:
    result = location().resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    assert result.success
    settings = result.output_for_node("resolved_settings")
    assert settings == {
        "warehouse": production["FORGE_WAREHOUSE"],
        "source": "synthetic",
        "files_path": production["FORGE_FILES_PATH"],
        "synthetic_symbols": 3,
        "synthetic_seed": 11,
        "synthetic_start": "2001-02-05",
        "device": "cpu",
        "precision": "fp32",
        "tracking_uri": TRACKING,
        "registry_uri": REGISTRY,
        "artifact_root": "s3://forge-artifacts/mlflow",
        "optuna_storage": OPTUNA,
    }
    stored = _stored_run(instance, result.run_id)
    assert PASSWORD not in stored
    assert "FORGE_MLFLOW_TRACKING_URI" in stored


def test_with_nothing_set_the_resources_resolve_to_the_embedded_defaults(
    forge_home: Path, workspace: WorkspaceRequestContext, instance: dg.DagsterInstance
) -> None:
    view = _ui_view(workspace)
    assert view["env_vars"] == {}
    assert {kind for kind, _ in view["configured"].values()} == {"VALUE"}

    result = dg.materialize_to_memory([resolved_settings], resources=resources_from_env(), instance=instance)
    assert result.success
    local_mlflow = f"sqlite:///{forge_home}/mlflow/mlflow.db"
    assert result.output_for_node("resolved_settings") == {
        "warehouse": str(forge_home / "warehouse.duckdb"),
        "source": "bundled",
        "files_path": "",
        "synthetic_symbols": 5,
        "synthetic_seed": 7,
        "synthetic_start": "2000-01-03",
        "device": "",
        "precision": "",
        "tracking_uri": local_mlflow,
        "registry_uri": local_mlflow,
        "artifact_root": (forge_home / "mlflow" / "artifacts").as_uri(),
        "optuna_storage": f"sqlite:///{forge_home}/optuna/optuna.db",
    }


def test_env_or_default_passes_set_variables_as_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORGE_OPTUNA_STORAGE", OPTUNA)
    monkeypatch.setenv("FORGE_SYNTHETIC_SEED", "11")
    monkeypatch.setenv("FORGE_DEVICE", "")  # empty counts as unset
    storage = env_or_default(settings.OPTUNA_STORAGE, "")
    assert isinstance(storage, dg.EnvVar)
    assert storage.env_var_name == "FORGE_OPTUNA_STORAGE"
    seed = env_or_default(settings.SYNTHETIC_SEED, 7)
    assert isinstance(seed, int)
    assert seed.env_var_name == "FORGE_SYNTHETIC_SEED"  # type: ignore[attr-defined]  # EnvVar.int
    assert env_or_default(settings.DEVICE, "") == ""
    assert env_or_default(settings.SYNTHETIC_SYMBOLS, 5) == 5
    assert type(env_or_default(settings.SYNTHETIC_SYMBOLS, 5)) is int


def test_a_bad_symbol_count_still_fails_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """synthetic_symbols lost its ``ge=1`` (an unresolved EnvVar.int stands for 0); the bound still holds."""
    with pytest.raises(ValueError, match="at least 1"):
        MarketDataResource(synthetic_symbols=0)
    monkeypatch.setenv("FORGE_SYNTHETIC_SYMBOLS", "0")
    unresolved = MarketDataResource(synthetic_symbols=dg.EnvVar.int("FORGE_SYNTHETIC_SYMBOLS"))
    with pytest.raises(dg.DagsterResourceFunctionError), dg.build_resources({"market_data": unresolved}):
        pass


def test_an_unresolved_warehouse_still_names_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo reads ``defs.resources["warehouse"].file`` outside any run, where ``path`` is still an EnvVar."""
    monkeypatch.setenv("FORGE_WAREHOUSE", str(tmp_path / "w.duckdb"))
    warehouse = resources_from_env()["warehouse"]
    assert isinstance(warehouse, WarehouseResource)
    assert warehouse.file == tmp_path / "w.duckdb"
