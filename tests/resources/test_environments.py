"""FORGE_ENV chooses the environment: dev needs nothing set; prod refuses to load until every production variable
is set, naming each missing or malformed one and never a value, and then passes every store as an EnvVar."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import EnvVar

from forge_jobs.resources import PROD_INSTANCE, PROD_SET, PROD_STORES, resources_from_env
from forge_resources import MlflowResource, OptunaResource, WarehouseResource

REPO = Path(__file__).parents[2]
PASSWORD = "s3cret"
VARIABLES = (*(s.name for s in PROD_STORES), *PROD_INSTANCE, *PROD_SET, "FORGE_ENV")


@pytest.fixture(autouse=True)
def nothing_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def production(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    values = {
        "FORGE_ENV": "prod",
        "FORGE_WAREHOUSE": "/srv/forge/warehouse.duckdb",
        "FORGE_MLFLOW_TRACKING_URI": f"postgresql+psycopg2://forge:{PASSWORD}@db:5432/mlflow",
        "FORGE_OPTUNA_STORAGE": f"postgresql+psycopg2://forge:{PASSWORD}@db:5432/optuna",
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": "db",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_USER": "forge",
        "DAGSTER_PG_PASSWORD": PASSWORD,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_dev_is_the_default_and_needs_nothing() -> None:
    resources = resources_from_env()
    warehouse, tracking = resources["warehouse"], resources["tracking"]
    assert isinstance(warehouse, WarehouseResource) and warehouse.path == ""
    assert isinstance(tracking, MlflowResource) and tracking.tracking_uri == ""


def test_prod_names_every_missing_variable_and_no_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORGE_ENV", "prod")
    with pytest.raises(ValueError, match="FORGE_ENV=prod needs") as refused:
        resources_from_env()
    for name in VARIABLES[:-1]:
        assert name in str(refused.value)


def test_prod_refuses_a_non_postgres_store_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    production(monkeypatch, tmp_path / "dagster")
    monkeypatch.setenv("FORGE_OPTUNA_STORAGE", f"sqlite:///{PASSWORD}.db")
    (tmp_path / "dagster" / "dagster.yaml").unlink()
    with pytest.raises(ValueError) as refused:
        resources_from_env()
    message = str(refused.value)
    assert "FORGE_OPTUNA_STORAGE must start with postgresql+psycopg2://" in message
    assert "DAGSTER_HOME has no dagster.yaml" in message and PASSWORD not in message


def test_prod_passes_every_store_as_an_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    production(monkeypatch, tmp_path / "dagster")
    resources = resources_from_env()
    warehouse, tracking, tuning = resources["warehouse"], resources["tracking"], resources["tuning"]
    assert isinstance(warehouse, WarehouseResource) and warehouse.path == EnvVar("FORGE_WAREHOUSE")
    assert isinstance(tracking, MlflowResource) and tracking.tracking_uri == EnvVar(
        "FORGE_MLFLOW_TRACKING_URI"
    )
    assert isinstance(tuning, OptunaResource) and tuning.storage_url == EnvVar("FORGE_OPTUNA_STORAGE")


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORGE_ENV", "staging")
    with pytest.raises(ValueError, match=r"FORGE_ENV='staging': expected dev or prod"):
        resources_from_env()
