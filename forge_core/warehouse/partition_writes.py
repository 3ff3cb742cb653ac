"""Idempotent partition writes: DELETE the partition's dates and INSERT its rows in one transaction, or several
tables' partitions in one (``one_transaction``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
import pandas as pd

from forge_core.date_window import DateWindow


class WindowWriter(Protocol):
    """Writes a table's rows for a date window; returns the rows now in it."""

    def __call__(self, conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int: ...


def _used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``params`` that ``sql`` names as ``$name`` outside comments (DuckDB rejects unused ones)."""
    code = re.sub(r"--[^\n]*", "", sql)
    names = set(re.findall(r"\$(\w+)", code))
    return {name: value for name, value in params.items() if name in names}


@dataclass(frozen=True)
class Replacement:
    """One table's part of a partition write: DELETE the rows matching ``where``, INSERT the ``selects``."""

    table: str
    where: str
    where_params: dict[str, Any]
    selects: Sequence[tuple[str, dict[str, Any]]]


# Connections inside ``one_transaction``: their partition writes join it instead of committing on their own.
_JOINED: set[int] = set()


@contextmanager
def one_transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Every partition write on ``conn`` inside the block commits together with the others when the block ends, or
    none does: on any error the transaction rolls back and every table is exactly as it was."""
    if id(conn) in _JOINED:
        raise RuntimeError("one_transaction does not nest: the connection is already inside one")
    conn.execute("BEGIN TRANSACTION")
    _JOINED.add(id(conn))
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        with suppress(
            duckdb.Error
        ):  # a COMMIT that failed has ended the transaction: its error is the one to see
            conn.execute("ROLLBACK")
        raise
    finally:
        _JOINED.discard(id(conn))


def replace_in_transaction(conn: duckdb.DuckDBPyConnection, replacements: Sequence[Replacement]) -> list[int]:
    """In one transaction (the enclosing ``one_transaction``'s, if any), for every replacement: DELETE its rows,
    INSERT its selects, count the rows now matching. On any error the transaction rolls back and every table is
    exactly as it was."""
    if id(conn) in _JOINED:
        return _replace(conn, replacements)
    with one_transaction(conn):
        return _replace(conn, replacements)


def _replace(conn: duckdb.DuckDBPyConnection, replacements: Sequence[Replacement]) -> list[int]:
    counts = []
    for r in replacements:
        conn.execute(f"DELETE FROM {r.table} WHERE {r.where}", r.where_params)
        for sql, params in r.selects:
            conn.execute(
                f"INSERT INTO {r.table} BY NAME {sql}", _used_params(sql, {**r.where_params, **params})
            )
        (count,) = conn.execute(f"SELECT count(*) FROM {r.table} WHERE {r.where}", r.where_params).fetchall()
        counts.append(int(count[0]))
    return counts


def replace_window(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    date_column: str,
    window: DateWindow,
    selects: Sequence[tuple[str, dict[str, Any]]],
) -> int:
    """Replace ``table``'s rows whose ``date_column`` is in ``window`` by the rows the ``selects`` return.

    Each select is (SQL, parameters) and also gets ``$start`` and ``$end`` bound to the window. ``table`` and
    ``date_column`` are the project's own identifiers; every value is bound. Either the whole partition is
    replaced or, on any error, the table is left exactly as it was. Returns the rows now in the window.
    """
    where = f"{date_column} >= $start AND {date_column} < $end"
    (count,) = replace_in_transaction(conn, [Replacement(table, where, window.params(), selects)])
    return count


def replace_keyed(
    conn: duckdb.DuckDBPyConnection, keys: Mapping[str, Any], rows_by_table: Mapping[str, pd.DataFrame]
) -> list[int]:
    """Replace, in every table of ``rows_by_table``, the rows whose columns equal ``keys`` (a partition such as
    target x model x window) by that table's rows, which must all carry those key values; one transaction for all
    the tables, as ``replace_window``. Returns the rows now in the partition, per table."""
    return replace_partitions(conn, {table: (keys, rows) for table, rows in rows_by_table.items()})


def replace_partitions(
    conn: duckdb.DuckDBPyConnection, parts: Mapping[str, tuple[Mapping[str, Any], pd.DataFrame]]
) -> list[int]:
    """``replace_keyed`` with keys of each table's own: table -> (keys, rows)."""
    for table, (keys, rows) in parts.items():
        for column, value in keys.items():
            wrong = rows[rows[column] != value]
            if not wrong.empty:
                raise ValueError(
                    f"{len(wrong)} rows for {table} have {column}={wrong[column].iloc[0]!r}, not {value!r}"
                )
    views = {table: f"incoming_{table}" for table in parts}
    for table, (_, rows) in parts.items():
        conn.register(views[table], rows)
    try:
        replacements = [
            Replacement(
                t,
                " AND ".join(f"{column} = ${column}" for column in keys),
                dict(keys),
                [(f"SELECT * FROM {views[t]}", {})],
            )
            for t, (keys, _) in parts.items()
        ]
        return replace_in_transaction(conn, replacements)
    finally:
        for view in views.values():
            conn.unregister(view)


def replace_window_from_frame(
    conn: duckdb.DuckDBPyConnection, table: str, date_column: str, window: DateWindow, rows: pd.DataFrame
) -> int:
    """``replace_window`` with the rows of a DataFrame, which must all fall inside ``window``."""
    dates = pd.to_datetime(rows[date_column]).dt.date
    outside = rows[(dates < window.start) | (dates >= window.end)]
    if not outside.empty:
        first = outside.iloc[0]
        raise ValueError(
            f"{len(outside)} rows for {table} fall outside [{window.start}, {window.end}), "
            f"first: {date_column}={first[date_column]}"
        )
    conn.register("incoming_rows", rows)
    try:
        return replace_window(conn, table, date_column, window, [("SELECT * FROM incoming_rows", {})])
    finally:
        conn.unregister("incoming_rows")
