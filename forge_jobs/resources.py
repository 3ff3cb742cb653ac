"""Resources for the current environment (``FORGE_ENV``), from FORGE_* variables with embedded defaults.

``FORGE_ENV=dev`` (the default) is the laptop with no set-up: every store defaults to a file under FORGE_HOME
(DuckDB, SQLite for MLflow and Optuna) and the Dagster instance is SQLite under FORGE_HOME/dagster. ``FORGE_ENV=prod``
is one production box: the definitions refuse to load unless the warehouse file, MLflow's and Optuna's Postgres
URIs (``postgresql+psycopg2://``) and the Dagster instance's Postgres variables (read by the repository's
``dagster.yaml`` in DAGSTER_HOME) are all set, naming every one that is missing; values are never printed.

A variable that is set (non-empty) when the definitions load is passed to its resource field as
``dagster.EnvVar("NAME")`` (``EnvVar.int`` for int fields): the Dagster UI and the repository snapshot show the
variable's name, never its value, and each run reads the value from its own environment. An unset variable
leaves the embedded default in the field, so the no-set-up mode needs no environment at all.

Variable                     Resource field                    Default (when unset)              How passed
FORGE_WAREHOUSE              warehouse.path                    "" = FORGE_HOME/warehouse.duckdb  EnvVar
FORGE_SOURCE                 market_data.source                bundled                           plain value
FORGE_FILES_PATH             market_data.files_path            ""                                EnvVar
FORGE_SYNTHETIC_SYMBOLS      market_data.synthetic_symbols     5                                 EnvVar.int
FORGE_SYNTHETIC_SEED         market_data.synthetic_seed        7                                 EnvVar.int
FORGE_SYNTHETIC_START        market_data.synthetic_start       2000-01-03                        EnvVar
FORGE_SYNTHETIC_SHIFT        market_data.synthetic_shift       "" = no regime shift              EnvVar
FORGE_PLAUSIBILITY           market_data.plausibility          refuse (or flag)                  plain value
FORGE_CALENDAR               market_data.calendar              "" = the source's (XNYS, weekdays) EnvVar
FORGE_DEVICE                 compute.device                    "" = cuda if present, else cpu    EnvVar
FORGE_PRECISION              compute.precision                 "" = bf16 on cuda, fp32 on cpu    EnvVar
FORGE_MLFLOW_TRACKING_URI    tracking.tracking_uri             "" = SQLite FORGE_HOME/mlflow     EnvVar
FORGE_MLFLOW_REGISTRY_URI    tracking.registry_uri             "" = the tracking URI             EnvVar
FORGE_MLFLOW_ARTIFACT_ROOT   tracking.artifact_root            "" = FORGE_HOME/mlflow/artifacts  EnvVar
FORGE_OPTUNA_STORAGE         tuning.storage_url                "" = SQLite FORGE_HOME/optuna     EnvVar

FORGE_SOURCE and FORGE_PLAUSIBILITY are plain values because their fields are choices (Dagster's Enum config
type has no env source); they name a data source or a mode, never a secret. FORGE_HOME (default ``.forge/``) is
not a resource field: the empty defaults above resolve under it (``forge_core.settings``) when a run uses the
resource. In production the MLflow and Optuna URIs are ``postgresql+psycopg2://user:password@host:5432/db``; as
EnvVars their passwords stay out of the UI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, overload

from dagster import ConfigurableResource, EnvVar

from forge_core import settings
from forge_core.data.trading_calendar import UnknownCalendar, calendar_name
from forge_core.settings import Setting
from forge_resources import (
    ComputeResource,
    MarketDataResource,
    MlflowResource,
    OptunaResource,
    WarehouseResource,
)


@overload
def env_or_default(setting: Setting[Any], default: int) -> int: ...
@overload
def env_or_default(setting: Setting[Any], default: str) -> str: ...
def env_or_default(setting: Setting[Any], default: str | int) -> str | int:
    """``EnvVar(name)`` (``EnvVar.int`` for an int default) when ``setting`` is set and non-empty, else ``default``.

    EnvVar of an unset variable fails when Dagster resolves it, hence the default for the embedded mode. The value
    itself was checked by ``forge_core.settings.check_settings`` when the definitions loaded."""
    if not setting.text():
        return default
    return EnvVar.int(setting.name) if isinstance(default, int) else EnvVar(setting.name)


POSTGRES_SCHEME = "postgresql+psycopg2://"
# prod: variable -> what it holds (each must be set and non-empty)
PROD_STORES: dict[Setting[Any], str] = {
    settings.WAREHOUSE: "the DuckDB warehouse file",
    settings.MLFLOW_TRACKING_URI: f"MLflow's tracking store and registry, {POSTGRES_SCHEME}user:password@host/db",
    settings.OPTUNA_STORAGE: f"Optuna's storage, {POSTGRES_SCHEME}user:password@host/db",
}
# prod: the Dagster instance (dagster.yaml in DAGSTER_HOME reads the DAGSTER_PG_* variables); the password may be
# empty (trust auth) but must be set
PROD_INSTANCE = ("DAGSTER_HOME", "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USER")
PROD_SET = ("DAGSTER_PG_PASSWORD",)


def check_production() -> None:
    """ValueError naming every production variable that is missing or malformed (never a value)."""
    problems = [f"{s.name} ({what})" for s, what in PROD_STORES.items() if not s.text()]
    problems += [name for name in PROD_INSTANCE if not os.environ.get(name)]
    problems += [f"{name} (may be empty)" for name in PROD_SET if name not in os.environ]
    for setting in (settings.MLFLOW_TRACKING_URI, settings.OPTUNA_STORAGE):
        if setting.text() and not setting.text().startswith(POSTGRES_SCHEME):
            problems.append(f"{setting.name} must start with {POSTGRES_SCHEME}")
    home = os.environ.get("DAGSTER_HOME")
    if home and not (Path(home) / "dagster.yaml").is_file():
        problems.append("DAGSTER_HOME has no dagster.yaml (copy the repository's)")
    if problems:
        raise ValueError("FORGE_ENV=prod needs: " + "; ".join(problems))


def resources_from_env() -> dict[str, ConfigurableResource]:
    """The resource instances every asset and job of this code location uses (variables: module docstring);
    with FORGE_ENV=prod, only once every production variable is set."""
    if settings.ENV.value() == "prod":
        check_production()
    if settings.CALENDAR.text():  # the name against the package's list, named as the setting
        try:
            calendar_name(settings.CALENDAR.text())
        except UnknownCalendar as error:
            raise settings.CALENDAR.refuse(settings.CALENDAR.text(), str(error)) from None
    return {
        "warehouse": WarehouseResource(path=env_or_default(settings.WAREHOUSE, "")),
        "market_data": MarketDataResource(
            source=settings.SOURCE.value(),  # type: ignore[arg-type]  # a checked choice: one of the Literal's
            files_path=env_or_default(settings.FILES_PATH, ""),
            synthetic_symbols=env_or_default(settings.SYNTHETIC_SYMBOLS, settings.SYNTHETIC_SYMBOLS.default),
            synthetic_seed=env_or_default(settings.SYNTHETIC_SEED, settings.SYNTHETIC_SEED.default),
            synthetic_start=env_or_default(
                settings.SYNTHETIC_START, settings.SYNTHETIC_START.default.isoformat()
            ),
            synthetic_shift=env_or_default(settings.SYNTHETIC_SHIFT, ""),
            plausibility=settings.PLAUSIBILITY.value(),  # type: ignore[arg-type]  # a checked choice
            calendar=env_or_default(settings.CALENDAR, ""),
        ),
        "compute": ComputeResource(
            device=env_or_default(settings.DEVICE, ""), precision=env_or_default(settings.PRECISION, "")
        ),
        "tracking": MlflowResource(
            tracking_uri=env_or_default(settings.MLFLOW_TRACKING_URI, ""),
            registry_uri=env_or_default(settings.MLFLOW_REGISTRY_URI, ""),
            artifact_root=env_or_default(settings.MLFLOW_ARTIFACT_ROOT, ""),
        ),
        "tuning": OptunaResource(storage_url=env_or_default(settings.OPTUNA_STORAGE, "")),
    }
