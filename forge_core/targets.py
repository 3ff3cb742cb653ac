"""Forecast targets, declared in one place: the mean of a daily variance proxy over the next h trading days.

For target (h, proxy) and day t:  y_t = (1/h) * sum_{i=1..h} proxy_{t+i}.  A row exists only once day t+h
has been observed (``realised_on``), so an incomplete window is absent, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.features.daily import PROXIES
from forge_core.settings import TARGETS
from forge_core.warehouse.partition_writes import Replacement, replace_in_transaction
from forge_core.warehouse.sql_files import read_sql

DEFAULT_PROXY = "parkinson"


@dataclass(frozen=True)
class TargetSpec:
    """A forecast target: ``name``, horizon in trading days and the daily variance proxy it averages."""

    name: str
    horizon: int
    proxy: str = DEFAULT_PROXY

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"target name {self.name!r} must be a plain identifier")
        if self.horizon < 1:
            raise ValueError(f"target {self.name}: horizon must be >= 1, got {self.horizon}")
        if self.proxy not in PROXIES:
            raise ValueError(f"target {self.name}: unknown proxy {self.proxy!r}; choose one of {PROXIES}")


DEFAULT_TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec("rv_1d", 1),
    TargetSpec("rv_5d", 5),
    TargetSpec("rv_22d", 22),
)


def parse_targets(text: str) -> tuple[TargetSpec, ...]:
    """Parse ``"rv_1d=1,rv_5d=5:garman_klass"`` (name=horizon[:proxy], comma-separated) into target specs;
    SettingError naming FORGE_TARGETS, the text and the accepted form when it does not parse."""
    try:
        return tuple(
            TargetSpec(d.name, d.horizon, d.proxy or DEFAULT_PROXY) for d in TARGETS.parse(text.strip())
        )
    except ValueError as error:
        raise TARGETS.refuse(text.strip(), str(error)) from None


def configured_targets() -> tuple[TargetSpec, ...]:
    """Targets from ``FORGE_TARGETS`` (see ``parse_targets``), else rv_1d, rv_5d and rv_22d on Parkinson."""
    text = TARGETS.text()
    return parse_targets(text) if text else DEFAULT_TARGETS


class TargetConflict(ValueError):
    """A declared target's name is stored under another definition; nothing was written."""


# Tables that hold rows computed for a target, keyed by its name: stale once its definition changes.
TARGET_KEYED_TABLES = ("targets", "forecasts", "model_fits", "hyperparameters")


def definition_conflicts(conn: duckdb.DuckDBPyConnection, specs: tuple[TargetSpec, ...]) -> pd.DataFrame:
    """Stored definitions (horizon, proxy) of the declared names that differ from the declaration."""
    params = {
        "names": [s.name for s in specs],
        "horizons": [s.horizon for s in specs],
        "proxies": [s.proxy for s in specs],
    }
    return conn.execute(read_sql("targets/definition_conflicts.sql"), params).df()


def build_targets(
    conn: duckdb.DuckDBPyConnection,
    window: DateWindow,
    specs: tuple[TargetSpec, ...],
    *,
    replace_changed_definitions: bool = False,
) -> int:
    """Recompute the ``targets`` rows realised in ``window`` for every spec, in one transaction.

    A target is identified by its definition, not only its name: if the warehouse holds rows of a declared name
    under another horizon or proxy, the build is refused (``TargetConflict`` names them), unless
    ``replace_changed_definitions``, which deletes, in the same transaction, every row of the old definition and
    everything computed for that name (forecasts, fits, tunings): rebuild the whole range afterwards."""
    conflicts = definition_conflicts(conn, specs)
    if len(conflicts) and not replace_changed_definitions:
        raise TargetConflict(_conflict_message(conflicts))
    conn.execute(read_sql("features/macros.sql"))
    sql = read_sql("targets/targets.sql")
    selects = [(sql, {"target": s.name, "horizon": s.horizon, "proxy": s.proxy}) for s in specs]
    stale = sorted(set(conflicts["target"]))
    purge = [
        Replacement(table, "list_contains($names, target)", {"names": stale}, [])
        for table in TARGET_KEYED_TABLES
    ]
    where = "realised_on >= $start AND realised_on < $end"
    counts = replace_in_transaction(
        conn, [*(purge if stale else []), Replacement("targets", where, window.params(), selects)]
    )
    return counts[-1]


def _conflict_message(conflicts: pd.DataFrame) -> str:
    lines = [
        f"{row.target}: declared with horizon {row.declared_horizon} on {row.declared_proxy}, but the warehouse holds "
        f"{row.rows} rows with horizon {row.horizon} on {row.proxy} (realised {pd.Timestamp(row.first_realised).date()}"
        f" .. {pd.Timestamp(row.last_realised).date()})"
        for row in conflicts.itertuples()
    ]
    return (
        "a declared target's name is stored under another definition:\n  "
        + "\n  ".join(lines)
        + "\nnothing was written; declare it under a new name, or run targets with replace_changed_definitions: "
        "true to delete every row of the old definition (targets, forecasts, fits, tunings) and rebuild the range"
    )
