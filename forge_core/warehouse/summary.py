"""What a partition write left in a table: counts, date span and a preview, for asset metadata."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from forge_core.date_window import DateWindow

# Tables and their partition date column; identifiers come only from here.
PARTITION_COLUMNS = {
    "targets": "realised_on"
}  # the date column of a yearly partition, where it is not ``date``


@dataclass(frozen=True)
class WindowSummary:
    """Rows of a table inside a partition window, and of the whole table."""

    rows: int
    table_rows: int
    symbols: list[str]
    first_date: dt.date | None
    last_date: dt.date | None
    preview: pd.DataFrame


def summarise_window(
    conn: duckdb.DuckDBPyConnection, table: str, window: DateWindow, preview_rows: int = 10
) -> WindowSummary:
    """Counts, symbols, date span and the last ``preview_rows`` rows of ``table`` inside ``window``."""
    column = PARTITION_COLUMNS.get(table, "date")
    where = f"FROM {table} WHERE {column} >= $start AND {column} < $end"
    rows, first, last = _single_row(conn, f"SELECT count(*), min(date), max(date) {where}", window.params())
    symbols = [
        s
        for (s,) in conn.execute(
            f"SELECT DISTINCT symbol {where} ORDER BY symbol", window.params()
        ).fetchall()
    ]
    preview = conn.execute(
        f"SELECT * {where} ORDER BY date DESC, symbol LIMIT $limit",
        {**window.params(), "limit": preview_rows},
    ).df()
    (table_rows,) = _single_row(conn, f"SELECT count(*) FROM {table}")
    return WindowSummary(int(rows), int(table_rows), symbols, first, last, preview)


def _single_row(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple[Any, ...]:
    """The one row of an aggregate query."""
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise RuntimeError(f"aggregate query returned no row: {sql}")
    return row
