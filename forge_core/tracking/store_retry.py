"""Riding out a restart of the MLflow store's database, and leaving nothing behind for a window that is not written.

MLflow's SQLAlchemy store pings a pooled connection before using it (one the server dropped is replaced), but it
does not retry: while its database restarts, every call fails with an ``MlflowException`` coded
``TEMPORARILY_UNAVAILABLE`` (psycopg2's ``OperationalError`` underneath), after logging the whole traceback at
ERROR.
``retrying`` repeats such a call with jittered exponential backoff for up to ``RETRY_S`` seconds (a restart takes
about a second, a fail-over tens of seconds), saying so in a warning line now and then, and then raises
``TrackingUnavailable``: one line naming the store (without its password), the call and the last error. MLflow's
traceback for an error handled here is dropped from its log (``_QuietTransientErrors``).

A call that creates something (a run, a model version) is retried only after its caller has looked for what a
reply lost in the restart may have created (``log_fit`` tags each run with a fresh ``forge.fit_id``,
``register_fit`` looks the version up by run), so a retry never makes a second one.

``discard_on_failure`` is the other half: the runs and model versions that ``log_fit`` and ``register_fit`` create
inside it are deleted again if the block raises, so a window whose forecasts were not written (tracking is done
before the write) keeps no run and no registered version. A process killed with SIGKILL never gets there: the next
start cleans up after it (``recovery``).
"""

from __future__ import annotations

import functools
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg2  # type: ignore[import-untyped]  # no type information shipped
import sqlalchemy.exc
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode
from sqlalchemy.engine import make_url

T = TypeVar("T")

RETRY_S = 60.0  # how long a store may stay unreachable before the call fails
BASE_DELAY_S, MAX_DELAY_S = 0.25, 5.0
WARN_EVERY_S = 15.0  # while retrying, a warning at the first failure and then this often

logger = logging.getLogger(__name__)


class TrackingUnavailable(RuntimeError):
    """The MLflow store stayed unreachable for the whole retry budget; the message is one line."""


def is_transient(error: BaseException) -> bool:
    """An error a retry may cure: the database connection was refused or lost (a psycopg2 ``OperationalError`` or
    ``InterfaceError``, or one SQLAlchemy marks as invalidating the connection) or SQLite was locked, anywhere in
    the chain of causes (MLflow raises ``MlflowException`` from SQLAlchemy's error, raised from the driver's). A
    refused login or a missing database is one too: it fails after the budget, its message in the error."""
    for seen in _chain(error):
        if isinstance(seen, sqlalchemy.exc.DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, psycopg2.OperationalError | psycopg2.InterfaceError):
            return True
        if isinstance(seen, sqlite3.OperationalError) and "locked" in str(seen):
            return True
    return False


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and its causes, as Python prints them (an implicit context unless suppressed)."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)


def describe_store(uri: str) -> str:
    """The store's URI without its password."""
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:  # not a database URL (a tracking server, a file path)
        return uri


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def retrying(
    call: Callable[[], T],
    *,
    what: str,
    store: str,
    budget_s: float | None = None,
    before_retry: Callable[[], T | None] | None = None,
) -> T:
    """``call()``, repeated while it fails with a transient error (``is_transient``) for up to ``budget_s``
    (``RETRY_S``) seconds, saying so at the first failure and every ``WARN_EVERY_S`` seconds after.
    ``before_retry``, if given, runs before each repeat once the store answers again and may return the result a
    lost reply held (what the failed attempt created), ending the retries. Raises ``TrackingUnavailable`` once the
    budget is spent; any other error at once."""
    budget = RETRY_S if budget_s is None else budget_s
    started = time.monotonic()
    attempt, warned = 0, -WARN_EVERY_S
    while True:
        try:
            if attempt and before_retry is not None:
                found = before_retry()
                if found is not None:
                    return found
            return call()
        except Exception as error:
            if not is_transient(error):
                raise
            attempt += 1
            elapsed = time.monotonic() - started
            wait = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            if elapsed + wait > budget:
                raise TrackingUnavailable(
                    f"MLflow store {describe_store(store)} unreachable for {elapsed:.0f}s ({attempt} attempts) "
                    f"during {what}: {_first_line(error)}"
                ) from error
            if elapsed - warned >= WARN_EVERY_S:
                warned = elapsed
                logger.warning(
                    "MLflow store %s unreachable%s during %s (%s): retrying for up to %.0fs",
                    describe_store(store),
                    f" for {elapsed:.0f}s" if attempt > 1 else "",
                    what,
                    _first_line(error),
                    budget - elapsed,
                )
            time.sleep(wait)


class _QuietTransientErrors(logging.Filter):
    """Drops MLflow's ERROR record (with its traceback) for a database error it re-raises as
    ``TEMPORARILY_UNAVAILABLE``: ``retrying`` reports it in one line, or raises it as ``TrackingUnavailable``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("SQLAlchemy database error")


_QUIET = _QuietTransientErrors()


def quiet_transient_errors() -> None:
    """Install ``_QuietTransientErrors`` on MLflow's database logger (once)."""
    mlflow_db_log = logging.getLogger("mlflow.store.db.utils")
    if _QUIET not in mlflow_db_log.filters:
        mlflow_db_log.addFilter(_QUIET)


@dataclass
class Created:
    """The runs and model versions created inside a ``discard_on_failure`` block, in order, and the client that
    made them."""

    runs: list[str] = field(default_factory=list)
    versions: list[tuple[str, str]] = field(default_factory=list)  # (registered model, version)
    client: MlflowClient | None = None
    store: str = ""


_CREATED: ContextVar[Created | None] = ContextVar("forge_tracking_created", default=None)


def note_run(client: MlflowClient, store: str, run_id: str) -> None:
    """Record a run just created, if a ``discard_on_failure`` block is open."""
    created = _CREATED.get()
    if created is not None:
        created.runs.append(run_id)
        created.client, created.store = client, store


def note_version(client: MlflowClient, store: str, name: str, version: str) -> None:
    """Record a model version just registered, if a ``discard_on_failure`` block is open."""
    created = _CREATED.get()
    if created is not None:
        created.versions.append((name, version))
        created.client, created.store = client, store


@contextmanager
def discard_on_failure() -> Iterator[Created]:
    """Runs that ``log_fit`` creates and versions that ``register_fit`` registers inside the block are deleted
    again (the versions, then the runs; MLflow keeps them marked deleted) if the block raises; then the error goes
    on. Wrap a window's tracking AND its write in it: a window whose forecasts were not written keeps no run and no
    registered version. Deleting retries like every call; if the store stays away, a warning names what is left."""
    created = Created()
    token = _CREATED.set(created)
    try:
        yield created
    except BaseException:
        if created.client is not None:
            _discard(created.client, created.store, created)
        raise
    finally:
        _CREATED.reset(token)


def _discard(client: MlflowClient, store: str, created: Created) -> None:
    """Delete the block's versions, then its runs, within one ``RETRY_S`` budget in all."""
    deadline = time.monotonic() + RETRY_S
    left = [
        *(
            (f"deleting {name} version {version}", functools.partial(_delete_version, client, name, version))
            for name, version in created.versions
        ),
        *(
            (f"deleting run {run_id}", functools.partial(client.delete_run, run_id))
            for run_id in created.runs
        ),
    ]
    done = 0
    try:
        for what, delete in left:
            retrying(delete, what=what, store=store, budget_s=max(0.0, deadline - time.monotonic()))
            done += 1
    except Exception as error:
        logger.warning(
            "could not discard the MLflow runs and model versions of a window that was not written (%s); left: "
            "%s. Delete them (MlflowClient.delete_model_version / delete_run) before relying on the registry",
            _first_line(error),
            "; ".join(what.removeprefix("deleting ") for what, _ in left[done:]),
        )
        return
    if left:
        logger.warning(
            "discarded %d MLflow runs and %d model versions of a window that was not written",
            len(created.runs),
            len(created.versions),
        )


def _delete_version(client: MlflowClient, name: str, version: str) -> None:
    try:
        client.delete_model_version(name, version)
    except MlflowException as error:
        # gone already: deleted by an attempt whose reply was lost
        if error.error_code != ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            raise
