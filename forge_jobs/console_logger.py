"""The code location's console logger: Dagster's lines, but a step that failed on purpose (a ``Failure`` raised by
our code, such as invalid market data) shows its description once, without the stack trace around it. So does a
step that failed because a Postgres connection was refused or lost (Dagster's storage or the MLflow store restarted
or went away: the error's first line, its stack trace says nothing more), and the run's failure says so too (the
step's own line is not printed when the storage was away as it failed). A step that failed for lack of disk space
says "no space left on device" first, with the path and the space left where our code knows them (``DiskFull``)."""

from __future__ import annotations

import logging
from typing import Any

import coloredlogs
from dagster import DagsterEventType, Field, InitLoggerContext, logger
from dagster._core.log_manager import LOG_RECORD_METADATA_ATTR
from dagster_shared.error import SerializableErrorInfo

from forge_core.disk_space import NO_SPACE_TEXTS, DiskFull

FORMAT = "%(asctime)s - %(levelname)s - %(message)s"
# Errors meaning a database connection was refused or lost: psycopg2's and SQLAlchemy's, dagster-postgres's after
# its connection retries, forge_core.tracking's after its retries.
CONNECTION_ERRORS = frozenset(
    {"OperationalError", "InterfaceError", "DagsterPostgresException", "TrackingUnavailable"}
)
RESUME = "what was written before it is kept: re-run the same partitions to resume"


class FailureFirstFormatter(coloredlogs.ColoredFormatter):  # type: ignore[misc]
    """A STEP_FAILURE that carries user failure data reads ``<step> failed: <description>``; the RUN_FAILURE after
    it keeps its first paragraph (which steps failed), not the error and stack trace again."""

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, LOG_RECORD_METADATA_ATTR, None) or {}
        event: Any = meta.get("dagster_event")
        kind = getattr(event, "event_type", None)
        failure = getattr(getattr(event, "event_specific_data", None), "user_failure_data", None)
        error = getattr(getattr(event, "event_specific_data", None), "error", None)
        lost, full = _lost_connection(error), _disk_full(error)
        if kind == DagsterEventType.STEP_FAILURE and failure is not None:
            record = _with_message(record, f"{event.step_key} failed: {failure.description}")
        elif kind == DagsterEventType.STEP_FAILURE and lost:
            record = _with_message(
                record, f"{event.step_key} failed: Postgres connection lost ({lost}); {RESUME}"
            )
        elif kind == DagsterEventType.STEP_FAILURE and full:
            record = _with_message(record, f"{event.step_key} failed: {full}")
        elif kind == DagsterEventType.RUN_FAILURE:
            first = record.getMessage().split("\n\n")[0]
            record = _with_message(record, f"{first} Postgres connection lost; {RESUME}" if lost else first)
        return str(super().format(record))


def _lost_connection(error: SerializableErrorInfo | None) -> str | None:
    """The first line of a connection error in ``error``'s chain of causes, if there is one."""
    while error is not None:
        if error.cls_name in CONNECTION_ERRORS:
            lines = error.message.strip().splitlines()
            return lines[0] if lines else error.cls_name
        error = error.cause or error.context
    return None


def _disk_full(error: SerializableErrorInfo | None) -> str | None:
    """What ``error``'s chain of causes says of a full disk: a ``DiskFull``'s message, else the first line of the
    first error that says the disk was full."""
    while error is not None:
        lines = error.message.strip().splitlines()
        first = lines[0] if lines else ""
        if error.cls_name == DiskFull.__name__:
            return first[first.find(NO_SPACE_TEXTS[0]) :]
        if any(text in first.lower() for text in NO_SPACE_TEXTS):
            return f"{NO_SPACE_TEXTS[0]} ({first})"
        error = error.cause or error.context
    return None


def _with_message(record: logging.LogRecord, message: str) -> logging.LogRecord:
    return logging.makeLogRecord({**record.__dict__, "msg": message, "args": ()})


@logger(
    {"log_level": Field(str, is_required=False, default_value="INFO", description="The logger's threshold.")},
    description="Dagster's console lines; a deliberate step failure shows its description once, no stack trace.",
)
def forge_console_logger(init_context: InitLoggerContext) -> logging.Logger:
    """A console logger at ``log_level`` with the failure-first formatter."""
    log = logging.Logger("volatilityforge", level=init_context.logger_config["log_level"])
    handler = logging.StreamHandler()
    handler.setFormatter(FailureFirstFormatter(fmt=FORMAT))
    log.addHandler(handler)
    return log
