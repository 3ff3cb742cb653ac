"""Ingestion into ``raw_prices``: a delivery replaces what it covers and nothing else.

For every symbol a source delivers, its bars replace that symbol's stored bars over the dates the delivery covers
(its first to its last delivered day); symbols the source does not hold, and a symbol's days outside its delivered
range, stay as they were. A delivery that would drop stored days (a day stored inside the delivered range that the
source no longer has) is refused, naming the symbol, the count and the first such day, unless ``allow_shrink``.
The delivery's splits (``forge_core.data.splits``) replace the stored splits over the same symbols and dates, in the
same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from forge_core.data.splits import no_splits
from forge_core.date_window import DateWindow
from forge_core.warehouse.partition_writes import Replacement, replace_in_transaction
from forge_core.warehouse.sql_files import read_sql


def _covered(table: str) -> str:
    """Rows of ``table`` inside a delivered symbol's range of dates."""
    return (
        f"EXISTS (SELECT 1 FROM ingestion_coverage AS c WHERE c.symbol = {table}.symbol "
        f"AND {table}.date BETWEEN c.first_day AND c.last_day)"
    )


class IngestionRefused(ValueError):
    """A delivery would remove stored bars it does not hold; nothing was written."""


@dataclass(frozen=True)
class Ingestion:
    """What a delivery did to ``raw_prices``.

    ``added``: delivered bars with a new (symbol, date); ``replaced``: delivered bars whose key was stored;
    ``removed``: stored bars inside a delivered range that the delivery lacked (only with ``allow_shrink``);
    ``kept``: stored bars of the window left as they were (other symbols, other days); ``symbols``: symbols
    delivered.
    """

    added: int
    replaced: int
    removed: int
    kept: int
    symbols: int

    def describe(self) -> str:
        return (
            f"{self.symbols} symbols delivered: {self.added} bars added, {self.replaced} replaced, "
            f"{self.removed} removed, {self.kept} kept"
        )


def ingest_bars(
    conn: duckdb.DuckDBPyConnection,
    bars: pd.DataFrame,
    window: DateWindow,
    *,
    splits: pd.DataFrame | None = None,
    allow_shrink: bool = False,
) -> Ingestion:
    """Merge validated canonical ``bars`` (all dated inside ``window``) into ``raw_prices``, and their ``splits``
    (``symbol, date, ratio``) into ``splits``, in one transaction."""
    dates = pd.to_datetime(bars["date"])
    outside = bars[(dates < pd.Timestamp(window.start)) | (dates >= pd.Timestamp(window.end))]
    if not outside.empty:
        raise ValueError(
            f"{len(outside)} bars fall outside [{window.start}, {window.end}), first: {outside['date'].iloc[0]}"
        )
    conn.register("incoming_bars", bars)
    conn.register("incoming_splits", (no_splits() if splits is None else splits)[["symbol", "date", "ratio"]])
    try:
        coverage = conn.execute(read_sql("data/ingestion_coverage.sql")).df()
        shrinking = coverage[coverage["missing_days"] > 0]
        if len(shrinking) and not allow_shrink:
            raise IngestionRefused(_refusal(shrinking))
        (in_window,) = _one(
            conn, "SELECT count(*) FROM raw_prices WHERE date >= $start AND date < $end", window
        )
        conn.register("ingestion_coverage", coverage)
        try:
            replace_in_transaction(
                conn,
                [
                    Replacement(
                        "raw_prices", _covered("raw_prices"), {}, [("SELECT * FROM incoming_bars", {})]
                    ),
                    Replacement("splits", _covered("splits"), {}, [("SELECT * FROM incoming_splits", {})]),
                ],
            )
        finally:
            conn.unregister("ingestion_coverage")
    finally:
        conn.unregister("incoming_bars")
        conn.unregister("incoming_splits")
    stored, missing = int(coverage["stored_days"].sum()), int(coverage["missing_days"].sum())
    replaced = stored - missing
    return Ingestion(
        added=len(bars) - replaced,
        replaced=replaced,
        removed=missing,
        kept=in_window - stored,
        symbols=len(coverage),
    )


def _refusal(shrinking: pd.DataFrame) -> str:
    lines = [
        f"{row.symbol}: {row.missing_days} of {row.stored_days} stored days in [{row.first_day}, {row.last_day}] "
        f"are not in the source (first: {pd.Timestamp(row.first_missing).date()})"
        for row in shrinking.itertuples()
    ]
    return (
        "the source holds fewer days than the warehouse over the same range, so ingesting it would delete bars:\n  "
        + "\n  ".join(lines)
        + "\nnothing was written; to replace those bars anyway, run raw_prices with allow_shrink: true"
    )


def _one(conn: duckdb.DuckDBPyConnection, sql: str, window: DateWindow) -> tuple[int, ...]:
    (found,) = conn.execute(sql, window.params()).fetchall()
    return tuple(int(value) for value in found)
