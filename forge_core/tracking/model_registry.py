"""The MLflow model registry: one registered model per target x family (``<target>-<family>``), one version
per registered fit (tagged with its symbol, window and code version), aliases ``champion``/``challenger``.

Every store call rides out a restart of the store's database (``store_retry.retrying``); a fit is registered once
even when the reply to its registration is lost (the retry first looks for the version of its run)."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    INVALID_PARAMETER_VALUE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    ErrorCode,
)

from forge_core.models import load_model
from forge_core.models.base import VolatilityModel
from forge_core.tracking.config import TrackingConfig
from forge_core.tracking.fits import MODEL_FILE, TAG_PREFIX, FitRecord, model_artifacts, tracking_client
from forge_core.tracking.store_retry import note_version, retrying


def registered_name(target: str, family: str) -> str:
    """The registered model of a target and family, e.g. ``rv_5d-har``."""
    return f"{target}-{family}"


def register_fit(config: TrackingConfig, record: FitRecord, name: str) -> int:
    """A new version of registered model ``name`` (created if missing) from a logged fit; returns its number.
    The version carries the run's ``forge.*`` tags (symbol, window, code version, ...)."""
    client, store = tracking_client(config), config.registry_uri
    retrying(
        lambda: _create_registered_model(client, name), what=f"creating registered model {name}", store=store
    )
    run_tags = retrying(
        lambda: client.get_run(record.run_id).data.tags, what=f"reading run {record.run_id}", store=store
    )
    tags = {key: value for key, value in run_tags.items() if key.startswith(TAG_PREFIX)}
    version = retrying(
        lambda: client.create_model_version(name, record.model_uri, run_id=record.run_id, tags=tags),
        what=f"registering run {record.run_id} as a version of {name}",
        store=store,
        before_retry=lambda: _version_of_run(client, name, record.run_id),
    )
    note_version(client, store, name, str(version.version))
    return int(version.version)


def _create_registered_model(client: MlflowClient, name: str) -> None:
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise


def _version_of_run(client: MlflowClient, name: str, run_id: str) -> ModelVersion | None:
    """The version an earlier attempt registered for this run (its reply lost in a restart), if any."""
    found = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'", max_results=1)
    return found[0] if found else None


def set_alias(config: TrackingConfig, name: str, alias: str, version: int | None) -> None:
    """Point ``alias`` (e.g. ``champion``) of registered model ``name`` at ``version`` (None: remove the alias;
    nothing to do if it is not set)."""
    client = tracking_client(config)
    if version is None:
        retrying(
            lambda: _delete_alias(client, name, alias),
            what=f"removing {alias} of {name}",
            store=config.registry_uri,
        )
        return
    retrying(
        lambda: client.set_registered_model_alias(name, alias, str(version)),
        what=f"setting {alias} of {name}",
        store=config.registry_uri,
    )


def _delete_alias(client: MlflowClient, name: str, alias: str) -> None:
    try:
        client.delete_registered_model_alias(name, alias)
    except MlflowException as error:
        if error.error_code not in (
            ErrorCode.Name(RESOURCE_DOES_NOT_EXIST),
            ErrorCode.Name(INVALID_PARAMETER_VALUE),
        ):
            raise


def load_registered(config: TrackingConfig, name: str, alias_or_version: str | int) -> VolatilityModel:
    """The model of a registered version, by alias (``"champion"``) or number (``3`` or ``"3"``); the same as
    loading ``models:/<name>@<alias>`` or ``models:/<name>/<version>``."""
    client = tracking_client(config)
    ref = str(alias_or_version)
    version = retrying(
        lambda: (
            client.get_model_version(name, ref)
            if ref.isdigit()
            else client.get_model_version_by_alias(name, ref)
        ),
        what=f"reading {name} {ref}",
        store=config.registry_uri,
    )
    if version.run_id is None:  # registered from a source outside a run, so not a logged fit
        raise ValueError(f"{name} version {version.version} has no run to load the model from")
    with model_artifacts(
        client, config.tracking_uri, version.run_id, f"reading the files of {name} {ref}"
    ) as folder:
        return load_model(folder / MODEL_FILE)
