"""Metadata helpers shared by assets: figures, each partition's own metadata, and the symbols an asset left out for
too little history."""

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, DagsterLogManager, Failure, MetadataValue

from forge_core.forecasting.walk_forward import ShortHistory

SHORT_HISTORIES = "short_histories"  # the metadata key, on a materialisation or on a failure


def figure(path: Path) -> MetadataValue:
    """A PNG shown inline in the asset's metadata (markdown with the image embedded as a data URI)."""
    return MetadataValue.md(
        f"![{path.stem}](data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()})"
    )


def partition_metadata(
    context: AssetExecutionContext, key: str, rows: int, window: Mapping[str, Any], **metadata: Any
) -> None:
    """Give partition ``key`` of the run its own metadata.

    A run of several partitions (a backfill as one run) puts its ``MaterializeResult`` metadata on every partition's
    materialisation: keep that for what holds for each, and name ``run_*`` what covers the run (a figure of its
    windows). What one partition wrote goes here.

    Parameters
    ----------
    context
        The run's context; ``key`` is one of its partition keys.
    rows
        The partition's rows: its ``dagster/row_count``.
    window
        Its row of the ``windows_table`` (column -> value), the table's only row.
    **metadata
        More metadata of the partition alone.
    """
    table = MetadataValue.md(pd.DataFrame([window]).to_markdown(index=False))
    context.add_asset_metadata(
        {"dagster/row_count": rows, "windows_table": table, **metadata}, partition_key=key
    )


@dataclass(frozen=True)
class SkippedSymbol:
    """A symbol left out of a target for too little history: what it has and needs, and where (a walk-forward
    window, a live fit's day)."""

    symbol: str
    target: str
    short: ShortHistory
    where: str

    def __str__(self) -> str:
        return f"{self.symbol} has {self.short} ({self.target} {self.where})"


def skipped_metadata(skipped: Sequence[SkippedSymbol]) -> MetadataValue:
    """JSON keyed by symbol, then target: ``rows``, ``needed``, ``of`` (what was counted) and ``where``."""
    table: dict[str, dict[str, dict[str, int | str]]] = {}
    for s in skipped:
        table.setdefault(s.symbol, {})[s.target] = {
            "rows": s.short.rows,
            "needed": s.short.needed,
            "of": s.short.what,
            "where": s.where,
        }
    return MetadataValue.json(table)


def skipped_from(metadata: Mapping[str, MetadataValue]) -> list[SkippedSymbol]:
    """What ``skipped_metadata`` wrote under ``SHORT_HISTORIES`` in ``metadata`` (nothing if absent)."""
    found = metadata.get(SHORT_HISTORIES)
    table: dict[str, dict[str, dict[str, Any]]] = found.value if found is not None else {}  # type: ignore[assignment]
    return [
        SkippedSymbol(symbol, target, ShortHistory(row["rows"], row["needed"], row["of"]), row["where"])
        for symbol, targets in table.items()
        for target, row in targets.items()
    ]


def nearest(skipped: Sequence[SkippedSymbol]) -> list[SkippedSymbol]:
    """Per symbol, in symbol order, its record nearest to enough (the largest share of what it needs)."""
    best: dict[str, SkippedSymbol] = {}
    for s in sorted(skipped, key=lambda s: s.short.rows / s.short.needed):
        best[s.symbol] = s
    return [best[symbol] for symbol in sorted(best)]


def warn_skipped(log: DagsterLogManager, skipped: Sequence[SkippedSymbol]) -> None:
    """One WARNING naming every skipped symbol with the rows it has and needs (nothing when none was)."""
    if skipped:
        log.warning(f"too little history, not forecast: {'; '.join(map(str, skipped))}")


def no_symbol_qualifies(description: str, skipped: Sequence[SkippedSymbol]) -> Failure:
    """A deliberate failure, with no retry, when no symbol has the history needed: the shortfalls in its
    metadata, as ``skipped_metadata`` writes them."""
    return Failure(
        description=description, metadata={SHORT_HISTORIES: skipped_metadata(skipped)}, allow_retries=False
    )
