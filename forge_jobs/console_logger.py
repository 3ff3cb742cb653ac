"""The code location's console logger: Dagster's lines, but a step that failed on purpose (a ``Failure`` raised by
our code, such as invalid market data) shows its description once, without the stack trace around it."""

from __future__ import annotations

import logging

import coloredlogs
from dagster import DagsterEventType, Field, InitLoggerContext, logger
from dagster._core.log_manager import LOG_RECORD_METADATA_ATTR

FORMAT = "%(asctime)s - %(levelname)s - %(message)s"


class FailureFirstFormatter(coloredlogs.ColoredFormatter):  # type: ignore[misc]
    """A STEP_FAILURE that carries user failure data reads ``<step> failed: <description>``; the RUN_FAILURE after
    it keeps its first paragraph (which steps failed), not the error and stack trace again."""

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, LOG_RECORD_METADATA_ATTR, None) or {}
        event = meta.get("dagster_event")
        kind = getattr(event, "event_type", None)
        failure = getattr(getattr(event, "event_specific_data", None), "user_failure_data", None)
        if kind == DagsterEventType.STEP_FAILURE and failure is not None:
            record = _with_message(record, f"{event.step_key} failed: {failure.description}")
        elif kind == DagsterEventType.RUN_FAILURE:
            record = _with_message(record, record.getMessage().split("\n\n")[0])
        return str(super().format(record))


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
