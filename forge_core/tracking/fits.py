"""Logging model fits to MLflow: one experiment per target, one run per family x target x symbol x window.

A run holds the model's flattened ``params()`` and the data window as params, the final metrics (step 0) and
the per-epoch history (``epoch/<name>``, step = epoch), tags ``forge.*`` (family, model, target, symbol, window,
code version, ``fit_id``: a fresh id per logged fit, and ``dagster_run_id``: the Dagster run that logged it), and
artifacts ``model/`` (``VolatilityModel.save``: ``model.json``, plus ``model.pt`` for torch models) and
``features.json``. A fit logged again (a window resumed after its run was killed) replaces the FAILED runs of the
same name that the earlier attempts left, so a window keeps one run.

Every store call rides out a restart of the store's database (``store_retry.retrying``); a run is created once
even when the reply to its creation is lost (the retry first looks for the run tagged with its ``fit_id``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy
import sqlalchemy.pool
from mlflow import MlflowClient
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.store.db import utils as mlflow_db
from mlflow.store.db.base_sql_model import Base as MlflowModels
from mlflow.utils.validation import (
    MAX_ENTITY_KEY_LENGTH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAM_VAL_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VAL_LENGTH,
)

from forge_core.models.base import VolatilityModel
from forge_core.settings import MLFLOW_UI
from forge_core.state_stores import check_sqlite_store, count_rows, exclusive_lock, sqlite_path
from forge_core.tracking.config import TrackingConfig
from forge_core.tracking.relocation import beside_store, reroot_store
from forge_core.tracking.store_retry import (
    TrackingUnavailable,
    note_run,
    quiet_transient_errors,
    retrying,
)

MODEL_ARTIFACT_DIR = "model"
# the tag by which MLflow 3 chooses an experiment's view: model training, not GenAI
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")
MODEL_FILE = "model.json"
FEATURES_FILE = "features.json"
TAG_PREFIX = "forge."
DAGSTER_RUN = "dagster_run_id"  # the tag (with TAG_PREFIX) naming the Dagster run that logged a run
SCHEMA_LOCK_KEY = 0x466F726765  # any bigint shared by every VolatilityForge process

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitRecord:
    """Where a logged fit lives: its run, its experiment and the URI of its model files."""

    run_id: str
    experiment_id: str
    model_uri: str


def tracking_client(config: TrackingConfig) -> MlflowClient:
    """A client bound to ``config``'s stores (never to MLflow's process-wide default URIs), their schema made
    (retried while the store's database is unreachable: ``store_retry.retrying``)."""
    quiet_transient_errors()
    retrying(
        lambda: _initialise_stores(config.tracking_uri, config.registry_uri, config.artifact_root),
        what="opening the store",
        store=config.tracking_uri,
    )
    return MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.registry_uri)


@contextmanager
def model_artifacts(client: MlflowClient, store: str, run_id: str, what: str) -> Iterator[Path]:
    """The folder of run ``run_id``'s ``MODEL_ARTIFACT_DIR``, to read (never write) inside the ``with``: in place
    when the run's artifacts are a local directory, else downloaded into a temporary folder. A live set is
    thousands of per-symbol files (every member of every ensemble), and copying them one by one was most of the
    daily job at 500 symbols; a finished run's artifacts never change, so reading them in place is safe."""
    uri = retrying(lambda: client.get_run(run_id).info.artifact_uri, what=what, store=store)
    local = _local_directory(uri)
    if local is not None and (local / MODEL_ARTIFACT_DIR).is_dir():
        yield local / MODEL_ARTIFACT_DIR
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(
            retrying(
                lambda: client.download_artifacts(run_id, MODEL_ARTIFACT_DIR, tmp), what=what, store=store
            )
        )


def _local_directory(uri: str | None) -> Path | None:
    """The directory of a ``file:`` (or scheme-less) artifact URI; None for a remote store."""
    parsed = urllib.parse.urlparse(uri or "")
    if parsed.scheme not in ("", "file") or parsed.netloc not in ("", "localhost") or not parsed.path:
        return None
    return Path(urllib.request.url2pathname(parsed.path))


@functools.cache
def _initialise_stores(tracking_uri: str, registry_uri: str, artifact_root: str) -> None:
    """Open both stores once per process. Opening a new database creates and migrates its schema, which
    processes must not do at once (parallel Dagster steps on a fresh store would corrupt it): they queue on a
    lock file beside a SQLite database, or on an advisory lock in Postgres. Holding it, a SQLite store that a
    killed process left half-built is first repaired or moved aside (``_repair_sqlite_store``), and a store whose
    artifact root lies beside it gets its stored locations re-rooted there (``relocation.reroot_store``: FORGE_HOME
    copied or moved)."""
    with _schema_lock(tracking_uri):  # the client opens the tracking store as it is made
        _repair_sqlite_store(tracking_uri)
        client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
        path = sqlite_path(tracking_uri)
        root = beside_store(path, artifact_root) if path is not None else None
        if path is not None and root is not None:
            reroot_store(path, root)
    with _schema_lock(registry_uri):
        if registry_uri != tracking_uri:
            _repair_sqlite_store(registry_uri)
        client.search_registered_models(max_results=1)


@contextmanager
def _schema_lock(uri: str) -> Iterator[None]:
    path = sqlite_path(uri)
    if path is not None:
        with exclusive_lock(path.with_suffix(".lock")):
            yield
    elif uri.startswith("postgresql"):
        engine = sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as conn:  # a session-level lock, released when the connection closes
                conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                yield
        finally:
            engine.dispose()
    else:  # a tracking server migrates its own store
        yield


def _repair_sqlite_store(uri: str) -> None:
    """Detect and mend a half-built MLflow SQLite store (``check_sqlite_store``); call it holding the lock.

    Complete means every table of MLflow's models, no ``_alembic_tmp_*`` table (a batch migration that was
    interrupted: the next open would fail with "table _alembic_tmp_params already exists") and one alembic
    row at MLflow's head. A broken store with nothing but the default experiment is moved aside into
    ``broken-<time>/`` beside it and made again; one with experiments, runs or models is migrated with
    MLflow's own upgrade (what ``mlflow db upgrade`` runs)."""
    path = sqlite_path(uri)
    if path is None:
        return
    check_sqlite_store(
        path,
        name="MLflow",
        expected_tables=set(MlflowModels.metadata.tables),
        head=mlflow_db._get_latest_schema_revision(),  # type: ignore[no-untyped-call]
        holds_data=_mlflow_holds_data,
        migrate=functools.partial(_migrate_mlflow_store, uri),
        logger=logger,
    )


def _mlflow_holds_data(path: Path) -> bool:
    """Anything but alembic's row, the seeded workspace and the default experiment (id 0)."""
    ignore = {"alembic_version", "workspaces"}
    return count_rows(path, ignore, where={"experiments": "experiment_id != 0"}) > 0


def _migrate_mlflow_store(uri: str) -> None:
    """What MLflow's store does on open (its initial tables, then every migration) when tables are missing;
    what ``mlflow db upgrade`` does otherwise."""
    engine = mlflow_db.create_sqlalchemy_engine(uri)  # type: ignore[no-untyped-call]
    try:
        if mlflow_db._all_tables_exist(engine):  # type: ignore[no-untyped-call]
            mlflow_db._upgrade_db(engine)  # type: ignore[no-untyped-call]
        else:
            mlflow_db._initialize_tables(engine)  # type: ignore[no-untyped-call]
    finally:
        engine.dispose()


def experiment_name(target: str) -> str:
    return f"volatilityforge/{target}"


def experiment_id(client: MlflowClient, config: TrackingConfig, target: str) -> str:
    """The id of ``target``'s experiment, created (with its artifact folder under the root) if missing, and
    marked as model training (``EXPERIMENT_KIND``), so MLflow 3 opens it in that view rather than the GenAI one."""
    name = experiment_name(target)
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.tags.get(EXPERIMENT_KIND[0]) != EXPERIMENT_KIND[1]:  # made before the mark
            client.set_experiment_tag(found.experiment_id, *EXPERIMENT_KIND)
        return found.experiment_id
    location = f"{config.artifact_root.rstrip('/')}/{target}" if config.artifact_root else None
    try:
        return client.create_experiment(name, artifact_location=location, tags=dict([EXPERIMENT_KIND]))
    except MlflowException as error:  # another process created it first
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
        found = client.get_experiment_by_name(name)
        if found is None:  # gone again (deleted for good) since: report the original error
            raise
        return found.experiment_id


def log_fit(
    config: TrackingConfig,
    *,
    model: VolatilityModel,
    target: str,
    symbol: str,
    window_start: dt.date,
    window_end: dt.date,
    trained_through: dt.date,
    train_rows: int,
    features: Sequence[str] | None,
    metrics: Mapping[str, float],
    epoch_history: Sequence[Mapping[str, float]] | None,
    code_version: str,
    tags: Mapping[str, Any] | None = None,
    model_name: str | None = None,
) -> FitRecord:
    """Log one fitted model as a new run of ``target``'s experiment; the run is FAILED if logging fails (inside
    ``discard_on_failure`` it is then deleted with the rest of the block's runs). ``model_name``: the name its
    forecasts are stored under (a family's feature variant), tagged ``forge.model``; default the family."""
    window = {"window_start": window_start, "window_end": window_end, "trained_through": trained_through}
    named = {"family": model.family, "model": model_name or model.family}
    run_tags = {**named, "target": target, "symbol": symbol, **window}
    params = flatten(model.params()) | {key: str(value) for key, value in window.items()}
    params |= {"train_rows": str(train_rows)}
    if features is not None:
        params["n_features"] = str(len(features))
    now = int(time.time() * 1000)
    logged = [Metric(key, float(value), now, 0) for key, value in metrics.items()]
    for index, epoch in enumerate(epoch_history or []):
        step = int(epoch.get("epoch", index))
        logged += [Metric(f"epoch/{k}", float(v), now, step) for k, v in epoch.items() if k != "epoch"]

    def write(folder: Path) -> None:
        (folder / MODEL_ARTIFACT_DIR).mkdir()
        model.save(folder / MODEL_ARTIFACT_DIR / MODEL_FILE)
        if features is not None:
            (folder / FEATURES_FILE).write_text(json.dumps(list(features), indent=1))

    return log_run(
        config,
        target=target,
        name=run_name(model.family, target, symbol, window_start),
        tags=run_tags,
        extra_tags=tags,
        params=params,
        metrics=logged,
        artifacts=write,
        code_version=code_version,
    )


def log_run(
    config: TrackingConfig,
    *,
    target: str,
    name: str,
    tags: Mapping[str, Any],
    extra_tags: Mapping[str, Any] | None,
    params: Mapping[str, str],
    metrics: Sequence[Metric],
    artifacts: Callable[[Path], None],
    code_version: str,
) -> FitRecord:
    """A new FINISHED run ``name`` of ``target``'s experiment: ``tags`` as ``forge.*`` tags (with the code version
    and a fresh ``fit_id``), ``extra_tags`` as they are, params, metrics, and the files ``artifacts`` writes into a
    folder, logged as the run's artifacts. The run is FAILED if logging fails."""
    client, store = tracking_client(config), config.tracking_uri
    exp_id = retrying(
        lambda: experiment_id(client, config, target), what="finding the experiment", store=store
    )
    described = {**tags, "code_version": code_version, "fit_id": uuid.uuid4().hex}
    if config.dagster_run_id:
        described[DAGSTER_RUN] = config.dagster_run_id
    run_tags = {f"{TAG_PREFIX}{key}": str(value) for key, value in described.items()}
    run_tags |= {str(key): str(value) for key, value in (extra_tags or {}).items()}
    run_id = retrying(
        lambda: (
            client.create_run(exp_id, tags=_truncate(run_tags, MAX_TAG_VAL_LENGTH), run_name=name).info.run_id
        ),
        what=f"creating run {name}",
        store=store,
        before_retry=lambda: _run_with_fit_id(client, exp_id, run_tags[f"{TAG_PREFIX}fit_id"]),
    )
    note_run(client, store, run_id)
    try:
        _log_batches(client, store, run_id, {**params, "code_version": code_version}, list(metrics))
        with tempfile.TemporaryDirectory() as tmp:
            artifacts(Path(tmp))
            retrying(
                lambda: client.log_artifacts(run_id, tmp),
                what=f"logging the artifacts of run {name}",
                store=store,
            )
    except BaseException as error:
        _mark_failed(client, store, run_id, name, gone=isinstance(error, TrackingUnavailable))
        raise
    retrying(lambda: client.set_terminated(run_id, "FINISHED"), what=f"finishing run {name}", store=store)
    for failed in retrying(
        lambda: _failed_attempts(client, exp_id, name),
        what=f"finding earlier attempts of {name}",
        store=store,
    ):
        retrying(
            functools.partial(client.delete_run, failed),
            what=f"replacing run {failed} of {name}",
            store=store,
        )
    return FitRecord(run_id, exp_id, f"runs:/{run_id}/{MODEL_ARTIFACT_DIR}")


def _failed_attempts(client: MlflowClient, exp_id: str, name: str) -> list[str]:
    """The FAILED runs named ``name`` in the experiment: earlier attempts at the same fit (a killed run's, marked
    FAILED by the recovery), replaced by the one just logged. Matched by name here, as a name may hold quotes."""
    found = client.search_runs([exp_id], filter_string="attributes.status = 'FAILED'", max_results=50000)
    return [run.info.run_id for run in found if run.info.run_name == name]


def _run_with_fit_id(client: MlflowClient, exp_id: str, fit_id: str) -> str | None:
    """The run an earlier attempt created for this fit (its reply lost in a restart), if any."""
    found = client.search_runs(
        [exp_id], filter_string=f"tags.`{TAG_PREFIX}fit_id` = '{fit_id}'", max_results=1
    )
    return found[0].info.run_id if found else None


# When the store is already known to be unreachable, how long marking a run FAILED may take.
FAILED_MARK_S = 5.0


def _mark_failed(client: MlflowClient, store: str, run_id: str, name: str, *, gone: bool) -> None:
    """Mark the run FAILED; if the store cannot be reached, say so instead of hiding the error being raised."""
    try:
        retrying(
            lambda: client.set_terminated(run_id, "FAILED"),
            what=f"marking run {name} failed",
            store=store,
            budget_s=FAILED_MARK_S if gone else None,
        )
    except Exception as error:
        logger.warning("run %s (%s) could not be marked FAILED and stays RUNNING: %s", run_id, name, error)


def run_name(family: str, target: str, symbol: str, window_start: dt.date) -> str:
    return f"{family}-{target}-{symbol}-{window_start.isoformat()}"


def ui_address(config: TrackingConfig) -> str:
    """Where the MLflow UI of ``config``'s store is browsed: the tracking server itself when it is one (http),
    else ``FORGE_MLFLOW_UI`` (default ``http://127.0.0.1:5000``, what ``mlflow ui`` on the store serves)."""
    if config.tracking_uri.startswith(("http://", "https://")):
        return config.tracking_uri.rstrip("/")
    return MLFLOW_UI.value().rstrip("/")


def run_url(config: TrackingConfig, record: FitRecord) -> str:
    """The URL of the run's page in the MLflow UI (``ui_address``)."""
    return f"{ui_address(config)}/#/experiments/{record.experiment_id}/runs/{record.run_id}"


def model_version_url(config: TrackingConfig, name: str, version: int) -> str:
    """The URL of a registered model version's page in the MLflow UI (``ui_address``)."""
    return f"{ui_address(config)}/#/models/{name}/versions/{version}"


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested mappings as dotted keys, other values as strings (lists and tuples as JSON), cut to MLflow's
    key and value lengths."""
    out: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= flatten(value, f"{name}.")
        else:
            text = json.dumps(value) if isinstance(value, list | tuple) else str(value)
            out[name[:MAX_ENTITY_KEY_LENGTH]] = text
    return _truncate(out, MAX_PARAM_VAL_LENGTH)


def _truncate(values: Mapping[str, str], limit: int) -> dict[str, str]:
    return {key: value[:limit] for key, value in values.items()}


def _log_batches(
    client: MlflowClient, store: str, run_id: str, params: Mapping[str, str], metrics: list[Metric]
) -> None:
    """Params, then metrics, in MLflow's batch sizes; a batch repeated after a lost reply changes nothing (an equal
    param is accepted again, a metric already stored is skipped)."""
    entries = [Param(k, v) for k, v in params.items()]
    for start in range(0, len(entries), MAX_PARAMS_TAGS_PER_BATCH):
        batch = entries[start : start + MAX_PARAMS_TAGS_PER_BATCH]
        retrying(
            functools.partial(client.log_batch, run_id, params=batch), what="logging params", store=store
        )
    for start in range(0, len(metrics), MAX_METRICS_PER_BATCH):
        chunk = metrics[start : start + MAX_METRICS_PER_BATCH]
        retrying(
            functools.partial(client.log_batch, run_id, metrics=chunk), what="logging metrics", store=store
        )
