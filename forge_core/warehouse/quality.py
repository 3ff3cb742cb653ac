"""Data-quality checks on what a partition wrote, as counts of defects per kind (all zero means passed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import duckdb

from forge_core.date_window import DateWindow
from forge_core.warehouse.sql_files import read_sql


@dataclass(frozen=True)
class QualityReport:
    """Defect counts by name; ``passed`` when every count is zero."""

    counts: dict[str, int]

    @property
    def passed(self) -> bool:
        return not any(self.counts.values())

    @property
    def defects(self) -> dict[str, int]:
        return {name: count for name, count in self.counts.items() if count}


class WindowCheck(Protocol):
    """Checks what a table holds for a date window."""

    def __call__(self, conn: duckdb.DuckDBPyConnection, window: DateWindow) -> QualityReport: ...


def counts(
    conn: duckdb.DuckDBPyConnection, sql_file: str, params: Mapping[str, object], prefix: str = ""
) -> dict[str, int]:
    """The defect counts the one-row SQL file returns, by column name (``prefix`` before each)."""
    row = conn.execute(read_sql(sql_file), params).df().iloc[0]
    return {f"{prefix}{name}": int(value) for name, value in row.items()}


def table_quality(table: str) -> WindowCheck:
    """The check of a table whose defects one SQL file counts: ``checks/<table>_quality.sql`` over the window."""

    def check(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> QualityReport:
        return QualityReport(counts(conn, f"checks/{table}_quality.sql", window.params()))

    return check


# OHLCV invariants of the bars in a window: finite, positive, high/low bracketing open and close.
raw_prices_quality = table_quality("raw_prices")


def targets_quality(
    conn: duckdb.DuckDBPyConnection, window: DateWindow, declared: Sequence[tuple[str, int]]
) -> QualityReport:
    """Targets realised in ``window``: finite, non-negative, every ``declared`` (name, horizon) present where the
    features say it should be; over the whole table, one row per key and one definition per name."""
    params = {**window.params(), "names": [n for n, _ in declared], "horizons": [h for _, h in declared]}
    return QualityReport(counts(conn, "checks/targets_sanity.sql", params))


def daily_forecasts_quality(conn: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, int]:
    """One day of published forecasts: finite, positive, non-crossing, nested intervals with the 50% upper end
    strictly below the 95%, the point inside its 50% band unless flagged ``skewed``, once per set, from models
    fitted by the day, and a champion for every target published."""
    return counts(conn, "checks/daily_forecasts_quality.sql", {"day": day})


def intervals_quality(conn: duckdb.DuckDBPyConnection, target: str, window_start: dt.date) -> dict[str, int]:
    """One (target, window) partition of ``intervals``, per series day across levels as produced: finite,
    positive, nested, the 50% upper end strictly below the 95%, the point inside its 50% band unless flagged
    ``skewed``."""
    return counts(conn, "checks/intervals_quality.sql", {"target": target, "window_start": window_start})
