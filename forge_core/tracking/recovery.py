"""What a killed run leaves in MLflow, cleaned up at the next start (``forge_jobs.launch.recover_dead_runs``).

A run killed with SIGKILL never reaches ``discard_on_failure``: the MLflow run it was logging stays RUNNING for
good, and the versions it registered for a window it never wrote (or a retraining it never gave roles) stay in the
registry. Every run ``log_run`` creates is tagged ``forge.dagster_run_id``, and ``register_fit`` copies the tag onto
the version, so for each dead Dagster run ``recover_tracking``:

- deletes each version the run registered that nothing refers to: no alias of its registered model points at it,
  and no stored row does (a walk-forward fit: ``forecasts`` rows of its target, model, window and symbol written
  since its run started; a live set: a row of a warehouse table whose integer ``*version`` column names it for its
  target, e.g. ``daily_forecasts.model_version``). Where the warehouse cannot be read, the version is kept and
  tagged ``forge.recovery`` instead, saying what was not checked;
- marks FAILED each of the run's MLflow runs still RUNNING, or FINISHED with no version kept, tagged
  ``forge.recovery`` with the reason. A fit logged again replaces them (``fits.log_run``), so a resumed window
  keeps one run.

It also finds Dagster runs that are over while an MLflow run of theirs is still RUNNING (a run stopped by SIGTERM
exits without cleaning up), and treats them the same way. Nothing is touched for a run that is alive, and a local
store that does not exist yet is not created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Run, ViewType
from mlflow.entities.model_registry import ModelVersion

from forge_core.state_stores import sqlite_path
from forge_core.tracking.config import TrackingConfig
from forge_core.tracking.fits import DAGSTER_RUN, TAG_PREFIX, tracking_client
from forge_core.tracking.store_retry import retrying
from forge_core.warehouse.connection import RetryPolicy, WarehouseBusyError, connect

RECOVERY_TAG = f"{TAG_PREFIX}recovery"
SEARCH_PAGE = 1000
SHOWN = 20  # items named per line of the log
WAREHOUSE_WAIT_S = 10.0  # how long the recovery waits for a writer to let go of the warehouse


@dataclass(frozen=True)
class Candidate:
    """A version a dead run registered that no alias points at: what a stored row would name it by."""

    name: str
    version: str
    run_id: str
    target: str
    window_start: dt.date | None  # a walk-forward fit's window; None for a live set
    symbol: str
    run_started: dt.datetime  # UTC, naive, as the warehouse's created_at


@dataclass
class Cleanup:
    """What ``recover_tracking`` did, for the log."""

    failed: list[str] = field(default_factory=list)  # MLflow runs marked FAILED
    deleted: list[str] = field(default_factory=list)  # "<model> v<n>"
    kept: list[str] = field(default_factory=list)  # "<model> v<n> (why)"
    unchecked: list[str] = field(default_factory=list)  # "<model> v<n>": kept and tagged

    def lines(self, dagster_runs: Collection[str]) -> list[str]:
        """One line per kind of action taken (none when nothing was left), naming the first ``SHOWN`` of each."""
        runs = ", ".join(sorted(dagster_runs))
        shown = (
            ("marked FAILED MLflow runs", self.failed),
            ("deleted registered versions that no alias or stored row refers to", self.deleted),
            ("kept versions that are referred to", self.kept),
            ("kept versions tagged forge.recovery, as the warehouse could not be read", self.unchecked),
        )
        return [
            f"dead run(s) {runs}: {what}: {', '.join(items[:SHOWN])}"
            + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
            for what, items in shown
            if items
        ]


def recover_tracking(
    config: TrackingConfig, dead: Collection[str], is_over: Callable[[str], bool], warehouse: Path
) -> tuple[set[str], Cleanup]:
    """Clean up what the Dagster runs ``dead`` left in MLflow, and what any run ``is_over`` says has ended left
    RUNNING (module docstring); returns the Dagster runs handled and what was done."""
    store = sqlite_path(config.tracking_uri)
    if store is not None and not store.exists():
        return set(), Cleanup()
    client = tracking_client(config)
    running = {
        run.data.tags[f"{TAG_PREFIX}{DAGSTER_RUN}"]
        for run in _search_runs(client, config, "attributes.status = 'RUNNING'")
        if f"{TAG_PREFIX}{DAGSTER_RUN}" in run.data.tags
    }
    handled = set(dead) | {run_id for run_id in running if is_over(run_id)}
    cleanup = Cleanup()
    for run_id in sorted(handled):
        _clean_up(client, config, run_id, warehouse, cleanup)
    return handled, cleanup


def _clean_up(
    client: MlflowClient, config: TrackingConfig, dagster_run: str, warehouse: Path, cleanup: Cleanup
) -> None:
    """Delete the unreferenced versions ``dagster_run`` registered, then fail its runs that nothing kept."""
    store = config.registry_uri
    tag = f"tags.`{TAG_PREFIX}{DAGSTER_RUN}` = '{dagster_run}'"
    versions = _search_versions(client, config, tag)
    aliased: dict[tuple[str, str], list[str]] = {}
    for name in sorted({v.name for v in versions}):
        model = retrying(partial(client.get_registered_model, name), what=f"reading {name}", store=store)
        for alias, number in model.aliases.items():
            aliased.setdefault((name, str(number)), []).append(alias)
    candidates, kept_runs = [], set()
    for version in versions:
        aliases = aliased.get((version.name, str(version.version)))
        candidate = None if aliases else _candidate(client, config, version)
        if candidate is None:
            why = f"alias {', '.join(aliases)}" if aliases else "its tags name no fit"
            cleanup.kept.append(f"{version.name} v{version.version} ({why})")
            kept_runs.add(version.run_id)
        else:
            candidates.append(candidate)
    referenced, unreadable = _referenced(warehouse, candidates)
    for c in candidates:
        label = f"{c.name} v{c.version}"
        if unreadable:
            note = f"registered by dead Dagster run {dagster_run}, no alias; stored rows not checked: {unreadable}"
            tagging = partial(client.set_model_version_tag, c.name, c.version, RECOVERY_TAG, note)
            retrying(tagging, what=f"tagging {label}", store=store)
            cleanup.unchecked.append(label)
        elif (c.name, c.version) in referenced:
            cleanup.kept.append(f"{label} (stored rows)")
        else:
            retrying(
                partial(client.delete_model_version, c.name, c.version), what=f"deleting {label}", store=store
            )
            cleanup.deleted.append(label)
            continue
        kept_runs.add(c.run_id)
    for run in _search_runs(client, config, tag):
        status = run.info.status
        if status == "RUNNING" or (status == "FINISHED" and run.info.run_id not in kept_runs):
            _mark_failed(client, config, run.info.run_id, status, dagster_run)
            cleanup.failed.append(f"{run.info.run_name} ({run.info.run_id}, was {status})")


def _mark_failed(
    client: MlflowClient, config: TrackingConfig, run_id: str, status: str, dagster_run: str
) -> None:
    why = (
        f"Dagster run {dagster_run} died while logging it"
        if status == "RUNNING"
        else f"Dagster run {dagster_run} died before anything referred to it"
    )
    store = config.tracking_uri
    retrying(partial(client.set_tag, run_id, RECOVERY_TAG, why), what=f"tagging run {run_id}", store=store)
    retrying(partial(client.set_terminated, run_id, "FAILED"), what=f"failing run {run_id}", store=store)


def _candidate(client: MlflowClient, config: TrackingConfig, version: ModelVersion) -> Candidate | None:
    """What a stored row would name ``version`` by; None where its tags do not say (kept)."""
    tags = version.tags
    target, run_id = tags.get(f"{TAG_PREFIX}target"), version.run_id
    if not target or not run_id:
        return None
    run = retrying(partial(client.get_run, run_id), what=f"reading run {run_id}", store=config.tracking_uri)
    window = tags.get(f"{TAG_PREFIX}window_start")
    return Candidate(
        name=version.name,
        version=str(version.version),
        run_id=run_id,
        target=target,
        window_start=dt.date.fromisoformat(window) if window else None,
        symbol=tags.get(f"{TAG_PREFIX}symbol", ""),
        run_started=dt.datetime.fromtimestamp(run.info.start_time / 1000, dt.UTC).replace(tzinfo=None),
    )


def _referenced(warehouse: Path, candidates: list[Candidate]) -> tuple[set[tuple[str, str]], str]:
    """The candidates some stored row refers to, as (model, version); or why the warehouse could not be read."""
    if not candidates:
        return set(), ""
    if not warehouse.exists():
        return set(), f"no warehouse at {warehouse}"
    try:
        conn = connect(warehouse, read_only=True, retry=RetryPolicy(timeout_s=WAREHOUSE_WAIT_S))
    except (WarehouseBusyError, duckdb.Error) as error:
        return set(), str(error).splitlines()[0]
    with closing(conn):
        return _fits_written(conn, candidates) | _sets_recorded(conn, candidates), ""


def _fits_written(conn: duckdb.DuckDBPyConnection, candidates: list[Candidate]) -> set[tuple[str, str]]:
    """Walk-forward fits whose window's forecasts for their symbol were written since their run started (rows
    written before it are an earlier fit's)."""
    fits = pd.DataFrame(
        [
            {
                "name": c.name,
                "version": c.version,
                "target": c.target,
                "model": c.name.removeprefix(f"{c.target}-"),
                "window_start": c.window_start,
                "symbol": c.symbol,
                "started": c.run_started,
            }
            for c in candidates
            if c.window_start is not None
        ],
        columns=["name", "version", "target", "model", "window_start", "symbol", "started"],
    )
    if fits.empty:
        return set()
    conn.register("candidate_fits", fits)
    rows = conn.execute(
        "SELECT name, version FROM candidate_fits c WHERE EXISTS (SELECT 1 FROM forecasts f WHERE "
        "f.target = c.target AND f.model = c.model AND f.window_start = c.window_start AND f.symbol = c.symbol "
        "AND f.created_at >= c.started)"
    ).fetchall()
    return {(str(name), str(version)) for name, version in rows}


def _sets_recorded(conn: duckdb.DuckDBPyConnection, candidates: list[Candidate]) -> set[tuple[str, str]]:
    """Live sets named for their target by an integer ``*version`` column of any table with a ``target`` column
    (published forecasts, scores, paths, drivers, importance, promotions)."""
    sets = [c for c in candidates if c.window_start is None]
    if not sets:
        return set()
    columns = conn.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c WHERE c.column_name LIKE '%version' "
        "AND c.data_type IN ('INTEGER', 'BIGINT') AND EXISTS (SELECT 1 FROM information_schema.columns t WHERE "
        "t.table_name = c.table_name AND t.column_name = 'target')"
    ).fetchall()
    found = set()
    for c in sets:
        for table, column in columns:
            query = f'SELECT 1 FROM "{table}" WHERE target = ? AND "{column}" = ? LIMIT 1'
            if conn.execute(query, [c.target, int(c.version)]).fetchone():
                found.add((c.name, c.version))
                break
    return found


def _search_runs(client: MlflowClient, config: TrackingConfig, filter_string: str) -> list[Run]:
    experiments = retrying(
        lambda: [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)],
        what="listing experiments",
        store=config.tracking_uri,
    )
    found: list[Run] = []
    token = None
    while experiments:
        page = retrying(
            partial(
                client.search_runs,
                experiments,
                filter_string,
                ViewType.ACTIVE_ONLY,
                SEARCH_PAGE,
                page_token=token,
            ),
            what="searching runs",
            store=config.tracking_uri,
        )
        found += page
        token = page.token
        if not token:
            break
    return found


def _search_versions(client: MlflowClient, config: TrackingConfig, filter_string: str) -> list[ModelVersion]:
    found: list[ModelVersion] = []
    token = None
    while True:
        page = retrying(
            partial(client.search_model_versions, filter_string, SEARCH_PAGE, page_token=token),
            what="searching model versions",
            store=config.registry_uri,
        )
        found += page
        token = page.token
        if not token:
            return found
