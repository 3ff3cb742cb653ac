"""Where the platform keeps its local state."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = ".forge"


def forge_home() -> Path:
    """The state folder (``FORGE_HOME``, default ``.forge/``), resolved to an absolute path."""
    return Path(os.environ.get("FORGE_HOME", DEFAULT_HOME)).expanduser().resolve()


def warehouse_path() -> Path:
    """The DuckDB warehouse file under the state folder."""
    return forge_home() / "warehouse.duckdb"


def reports_dir() -> Path:
    """Reports (tables, figures) under the state folder."""
    return forge_home() / "reports"


def reader_snapshots() -> bool:
    """Whether writers publish the readers' snapshot (``forge_core.warehouse.reader_snapshots``): on unless
    ``FORGE_READER_SNAPSHOTS=off`` (a deployment where nothing reads the warehouse outside the runs)."""
    return os.environ.get("FORGE_READER_SNAPSHOTS", "on").strip().lower() != "off"


DEFAULT_GAP_WEEKDAYS = 10


def gap_weekdays() -> int:
    """``FORGE_GAP_WEEKDAYS`` (default 10): a symbol's bar more than this many weekdays after its previous one
    follows a gap; its return is not one day's move, so features leave it NULL and restart their windows."""
    value = os.environ.get("FORGE_GAP_WEEKDAYS", "").strip()
    if not value:
        return DEFAULT_GAP_WEEKDAYS
    try:
        weekdays = int(value)
    except ValueError:
        weekdays = -1
    if weekdays < 1:
        raise ValueError(
            f"FORGE_GAP_WEEKDAYS must be a whole number of weekdays of at least 1, got {value!r}"
        )
    return weekdays
