"""Forecast targets, declared in one place: the mean of a daily variance proxy over the next h trading days.

For target (h, proxy) and day t:  y_t = (1/h) * sum_{i=1..h} proxy_{t+i}.  A row exists only once day t+h
has been observed (``realised_on``), so an incomplete window is absent, never zero.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb

from forge_core.date_window import DateWindow
from forge_core.features.daily import PROXIES
from forge_core.warehouse.partition_writes import replace_window
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
    """Parse ``"rv_1d=1,rv_5d=5:garman_klass"`` (name=horizon[:proxy], comma-separated) into target specs."""
    specs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, rest = item.partition("=")
        if not sep:
            raise ValueError(f"target {item!r}: expected name=horizon[:proxy]")
        horizon, _, proxy = rest.partition(":")
        if not horizon.strip().isdigit():
            raise ValueError(f"target {item!r}: horizon {horizon!r} is not a whole number of days")
        specs.append(TargetSpec(name.strip(), int(horizon), proxy.strip() or DEFAULT_PROXY))
    names = [s.name for s in specs]
    if not specs or len(set(names)) != len(names):
        raise ValueError(f"targets {text!r}: need at least one target and unique names")
    return tuple(specs)


def configured_targets() -> tuple[TargetSpec, ...]:
    """Targets from ``FORGE_TARGETS`` (see ``parse_targets``), else rv_1d, rv_5d and rv_22d on Parkinson."""
    text = os.environ.get("FORGE_TARGETS", "").strip()
    return parse_targets(text) if text else DEFAULT_TARGETS


def build_targets(conn: duckdb.DuckDBPyConnection, window: DateWindow, specs: tuple[TargetSpec, ...]) -> int:
    """Recompute the ``targets`` rows realised in ``window`` for every spec, in one transaction."""
    sql = read_sql("targets/targets.sql")
    selects = [(sql, {"target": s.name, "horizon": s.horizon, "proxy": s.proxy}) for s in specs]
    return replace_window(conn, "targets", "realised_on", window, selects)
