"""Running a job in this process (the demo, scripts) as the code location's own run, so that a crash costs a re-run
and nothing else.

A job of the ``volatilityforge`` code location (``workspace.yaml``) is run the way the UI and the daemon run it:
the run is created with the location's origin (``remote_job_origin``, ``job_code_origin`` and the repository tag),
so it appears on the Jobs page and the Overview timeline and "Re-execute" works from the UI; then this process does
what a run worker does (``dagster api execute_run``: ``execute_run`` on the reconstructable job, with the job's own
executor, ``forge_jobs.executors``). Only a job from outside the location (a test's) runs as ``execute_in_process``.

Runs launched by the daemon are watched by Dagster's run monitoring (``run_monitoring`` in both instance configs:
a run whose worker died is marked failed, and the pool slots of finished runs are freed). Runs executed in a
process of their own (``execute_in_process``, ``materialize``) have no monitor, so every launch here first:

- recovers dead runs: an unfinished run whose process is gone (its pid, from the run's ``forge/host`` tag or, on
  the single-machine embedded instance, from Dagster's "Executing steps in process" event, is not alive on this
  host) is marked failed and its pool slots are freed; slots still held by finished runs are freed too;
- says at INFO level which run holds each pool the job needs, and how it is freed, before it may wait on it;
- while a step waits on a pool slot, checks every ``HOLDER_CHECK_S`` seconds that the slot's holder is alive and,
  if it is not, runs the same recovery, so the waiting run takes the slot with no other launch;
- honours SIGTERM (and SIGINT) even while a step waits on a pool: the run is marked failed, its slots freed.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus, JobDefinition, RunsFilter
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository
from dagster._core.execution.api import create_execution_plan, execute_run
from dagster._core.execution.execution_result import ExecutionResult
from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.workspace.load import location_origins_from_yaml_paths
from dagster._utils.interrupts import check_captured_interrupt

from forge_core.disk_space import DiskFull, is_disk_full


def _console_log() -> logging.Logger:
    """This module's log, at INFO on stderr whatever the root logger says (what it reports is for the person at
    the terminal, before Dagster's own logging starts)."""
    found = logging.getLogger("volatilityforge.launch")
    if not found.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s - volatilityforge - %(levelname)s - %(message)s"))
        found.addHandler(handler)
        found.setLevel(logging.INFO)
        found.propagate = False
    return found


log = _console_log()

HOST_TAG = "forge/host"
PID_TAG = "forge/pid"
UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


@dataclass(frozen=True)
class RecoveredRun:
    """A run found dead and cleaned up: its id, the process that ran it and the pools it held."""

    run_id: str
    pid: int
    pools: list[str]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _run_pid(instance: DagsterInstance, run_id: str, tags: Mapping[str, str]) -> int | None:
    """The pid of the process executing the run on this host, when that can be known."""
    if tags.get(HOST_TAG) == socket.gethostname() and PID_TAG in tags:
        return int(tags[PID_TAG])
    if HOST_TAG in tags or not _single_machine(instance):
        return None
    for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT).records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data if event else None
        pid = getattr(data, "metadata", {}).get("pid") if data is not None else None
        if pid is not None:
            return int(pid.value)
    return None


def _single_machine(instance: DagsterInstance) -> bool:
    """The embedded instance keeps its storage in local SQLite files: every run it holds ran on this machine."""
    return type(instance.run_storage).__name__.startswith("Sqlite")


def recover_dead_runs(instance: DagsterInstance) -> list[RecoveredRun]:
    """Mark unfinished runs whose process is gone as failed and free their pool slots; free the slots finished
    runs still hold; clean up what dead runs left in MLflow (``forge_jobs.tracking_recovery``: their RUNNING runs
    marked FAILED, the versions they registered that nothing refers to deleted). Says what it did in the log."""
    from forge_jobs.tracking_recovery import recover_dead_runs_tracking  # loads the code location's resources

    recovered = []
    for run in instance.get_runs(filters=RunsFilter(statuses=UNFINISHED)):
        pid = _run_pid(instance, run.run_id, run.tags)
        if pid is None or _alive(pid):
            continue
        pools = held_pools(instance, run.run_id)
        instance.report_run_failed(run, f"its process (pid {pid}) is gone: killed or crashed; marked failed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        log.warning(
            f"run {run.run_id}: its process {pid} is gone; marked failed, freed its slots in pools {pools}"
        )
        recovered.append(RecoveredRun(run.run_id, pid, pools))
    holders = instance.event_log_storage.get_concurrency_run_ids()
    for run in instance.get_runs(filters=RunsFilter(run_ids=list(holders))) if holders else []:
        if run.is_finished:
            pools = held_pools(instance, run.run_id)
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            log.warning(f"run {run.run_id} ({run.status.value}) still held slots in pools {pools}; freed")
    recover_dead_runs_tracking(instance, [run.run_id for run in recovered], log)
    return recovered


def held_pools(instance: DagsterInstance, run_id: str) -> list[str]:
    """The pools in which ``run_id`` holds a slot now."""
    limits = instance.event_log_storage.get_pool_limits()
    infos = instance.event_log_storage.get_concurrency_infos([limit.name for limit in limits])
    return sorted(pool for pool, info in infos.items() if run_id in info.active_run_ids)


def job_pools(job: JobDefinition) -> set[str]:
    """The concurrency pools the job's ops run in."""
    return {pool for node in job.graph.nodes if (pool := getattr(node.definition, "pool", None))}


def announce_pool_holders(instance: DagsterInstance, job: JobDefinition) -> None:
    """Log, at INFO, every pool the job needs that another run holds now, and how that pool is freed."""
    for pool in sorted(job_pools(job)):
        info = instance.event_log_storage.get_concurrency_info(pool)
        for slot in info.claimed_slots:
            holder = instance.get_run_by_id(slot.run_id)
            status = holder.status.value if holder else "unknown"
            log.info(
                f"pool '{pool}' is held by run {slot.run_id} (step {slot.step_key}, {status}): {job.name} waits for "
                f"it. A dead holder is freed by this run within {HOLDER_CHECK_S:.0f} s or the next launch "
                f"(forge_jobs.launch.recover_dead_runs), or by hand: "
                f"`dagster instance concurrency` / instance.event_log_storage.free_concurrency_slots_for_run"
                f"('{slot.run_id}')"
            )


HOLDER_CHECK_S = 30.0  # how often a run waiting on a pool slot looks whether the slot's holder is alive


def dead_holders(instance: DagsterInstance, pool: str) -> list[str]:
    """The runs holding a slot in ``pool`` that have finished or whose process on this host is gone."""
    dead = []
    for run_id in instance.event_log_storage.get_concurrency_info(pool).active_run_ids:
        run = instance.get_run_by_id(run_id)
        if run is None:
            continue
        pid = None if run.is_finished else _run_pid(instance, run_id, run.tags)
        if run.is_finished or (pid is not None and not _alive(pid)):
            dead.append(run_id)
    return sorted(dead)


@contextmanager
def freeing_dead_holders(
    instance: DagsterInstance, job: JobDefinition, run_id: str, every_s: float = HOLDER_CHECK_S
) -> Iterator[None]:
    """While the block runs, a watcher looks every ``every_s`` seconds whether run ``run_id`` waits on a slot of
    one of ``job``'s pools that a dead run holds (``dead_holders``); if so it runs ``recover_dead_runs``, which
    frees the slot, and the waiting step takes it at its next claim (Dagster retries a claim at least every 15 s).
    So a waiting run needs no other launch to be freed from a killed holder."""
    pools = sorted(job_pools(job))
    done = threading.Event()

    def check() -> None:
        for pool in pools:
            if run_id not in instance.event_log_storage.get_concurrency_info(pool).pending_run_ids:
                continue
            dead = dead_holders(instance, pool)
            if dead:
                log.warning(
                    f"run {run_id} waits on pool '{pool}', held by dead run(s) {dead}: recovering them"
                )
                recover_dead_runs(instance)

    def watch() -> None:
        while not done.wait(every_s):
            try:
                check()
            except Exception as error:  # the storage briefly away: look again at the next check
                log.warning(f"could not check the holders of pools {pools}: {error}")

    if pools:
        threading.Thread(target=watch, name="forge-pool-holder-watcher", daemon=True).start()
    try:
        yield
    finally:
        done.set()


GRACE_S = 10.0  # after SIGTERM or SIGINT, how long a run may take to stop before the process exits regardless


@contextmanager
def stop_when_interrupted(give_up: Callable[[], None]) -> Iterator[None]:
    """While Dagster executes, SIGTERM and SIGINT only set a flag that its executor reads between steps and inside
    our code; a step waiting on a pool slot never reads it and would wait for ever. A watcher notices the flag and,
    if the process is still here ``GRACE_S`` later, runs ``give_up`` and exits with 143."""
    done = threading.Event()

    def watch() -> None:
        noticed: float | None = None
        while not done.wait(0.5):
            if check_captured_interrupt():
                noticed = noticed or time.monotonic()
                if time.monotonic() - noticed > GRACE_S:
                    log.warning("interrupted while waiting: the run is marked failed and the process exits")
                    give_up()
                    os._exit(128 + signal.SIGTERM)

    threading.Thread(target=watch, name="forge-interrupt-watcher", daemon=True).start()
    try:
        yield
    finally:
        done.set()


def finish(instance: DagsterInstance, run_id: str, why: str) -> None:
    """Mark the run failed if it has not finished, and free its pool slots."""
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_failed(run, why)
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)


RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def check_partitions(job: JobDefinition, tags: Mapping[str, str], partition_key: str | None = None) -> None:
    """Before any work: every partition named exists and a range is not reversed; the error names the key and the
    valid ones."""
    named = [key for key in (tags.get(RANGE_START), tags.get(RANGE_END), partition_key) if key is not None]
    if not named:
        return
    if job.partitions_def is None:
        raise ValueError(f"{job.name} is not partitioned, but partitions {named} were given")
    keys = job.partitions_def.get_partition_keys()
    valid = (
        f"{job.name}'s partitions run {keys[0]} .. {keys[-1]} ({len(keys)} partitions)" if keys else "none"
    )
    for key in named:
        if key not in keys:
            raise ValueError(f"partition {key!r} does not exist: {valid}")
    first, last = tags.get(RANGE_START), tags.get(RANGE_END)
    if first is not None and last is not None and keys.index(first) > keys.index(last):
        raise ValueError(
            f"reversed partition range {first} .. {last}: the first must come before the last; {valid}"
        )


WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"


@dataclass(frozen=True)
class CodeLocation:
    """The code location ``workspace.yaml`` declares, as the UI and the daemon load it: where its definitions come
    from (to reconstruct a job here) and its origin (which every run it owns records)."""

    repository: ReconstructableRepository
    origin: RemoteRepositoryOrigin

    def owns(self, job: JobDefinition) -> bool:
        """Whether ``job`` is this location's job of that name (not a lookalike built elsewhere)."""
        definition = self.repository.get_definition()
        return definition.has_job(job.name) and definition.get_job(job.name) is job

    def job(self, name: str) -> tuple[ReconstructableJob, RemoteJobOrigin]:
        """Job ``name``, reconstructable, and the origin a run of it records."""
        return self.repository.get_reconstructable_job(name), RemoteJobOrigin(self.origin, name)


@functools.cache
def code_location(workspace: Path = WORKSPACE) -> CodeLocation:
    """The one code location of ``workspace``: its module's definitions (loaded once per process) and its origin,
    named as in the workspace file."""
    (origin,) = location_origins_from_yaml_paths([str(workspace)])
    target = origin.loadable_target_origin
    module = target.module_name
    if module is None:
        raise ValueError(f"{workspace}: the code location must load from a python_module")
    folder = target.working_directory or str(workspace.parent)
    repository = ReconstructableRepository.for_module(module, target.attribute or "defs", folder)
    return CodeLocation(repository, RemoteRepositoryOrigin(origin, repository.get_definition().name))


def _execute(
    job: JobDefinition,
    instance: DagsterInstance,
    run_id: str,
    tags: Mapping[str, str],
    run_config: Mapping[str, Any] | None,
    asset_selection: Sequence[AssetKey] | None,
    raise_on_error: bool,
) -> ExecutionResult:
    """Create the run as the location's (when it owns ``job``) and execute it here as a run worker would; a job
    from outside the location executes in process."""
    location = code_location()
    if not location.owns(job):
        return job.execute_in_process(
            instance=instance,
            run_id=run_id,
            tags=tags,
            run_config=run_config,
            asset_selection=asset_selection,
            raise_on_error=raise_on_error,
        )
    reconstructable, origin = location.job(job.name)
    selection = frozenset(asset_selection) if asset_selection is not None else None
    selected = reconstructable.get_subset(asset_selection=selection) if selection else reconstructable
    config = dict(run_config or {})
    ref = instance.get_ref() if instance.is_persistent else None
    plan = create_execution_plan(selected, run_config=config, instance_ref=ref, tags=tags)
    run = instance.create_run_for_job(
        job_def=selected.get_definition(),
        execution_plan=plan,
        run_id=run_id,
        run_config=config,
        tags={**job.run_tags, **tags},
        asset_selection=selection,
        remote_job_origin=origin,
        job_code_origin=reconstructable.get_python_origin(),
    )
    return execute_run(reconstructable, run, instance, raise_on_error=raise_on_error)


def run_job(
    job: JobDefinition,
    instance: DagsterInstance,
    *,
    tags: Mapping[str, str] | None = None,
    run_config: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    asset_selection: Sequence[AssetKey] | None = None,
    raise_on_error: bool = True,
    holder_check_s: float = HOLDER_CHECK_S,
) -> ExecutionResult:
    """Run ``job`` here as the code location's run (see the module's docstring) after recovering dead runs and
    announcing pool holders, tagged with this host and pid, with SIGTERM honoured and, every ``holder_check_s``
    seconds while a step waits on a pool slot, the slot's dead holder recovered (``freeing_dead_holders``); a run
    that stops without finishing is marked failed and its slots freed; ``DiskFull`` when the instance's disk is
    full."""
    check_partitions(job, tags or {}, partition_key)
    recover_dead_runs(instance)
    announce_pool_holders(instance, job)
    run_id = str(uuid.uuid4())
    partition = job.get_tags_for_partition_key(partition_key, None) if partition_key is not None else {}
    mine = {**(tags or {}), **partition, HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    stopped = "stopped before it finished (SIGTERM or an interrupt)"
    try:
        with (
            stop_when_interrupted(lambda: finish(instance, run_id, stopped)),
            freeing_dead_holders(instance, job, run_id, holder_check_s),
        ):
            return _execute(job, instance, run_id, mine, run_config, asset_selection, raise_on_error)
    except Exception as error:  # Dagster's own storage could not record the run: SQLite says "disk is full"
        if is_disk_full(error) and _single_machine(instance):
            where = instance.root_directory
            raise DiskFull(f"the Dagster instance in {where} could not record run {run_id}", where) from error
        raise
    finally:
        finish(instance, run_id, stopped)
