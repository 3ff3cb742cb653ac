"""What a symbol's price history says between its bars: gaps, and split-like jumps of unadjusted prices.

Both are warnings, not refusals: a gap's first return is left out of the features (``FORGE_GAP_WEEKDAYS``), and a
suspected split is reported with how to proceed (``forge_core.data.splits.split_advice``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import duckdb

from forge_core.data.schema import VIX_SYMBOLS
from forge_core.data.splits import MIN_SPLIT_MOVE, ratio_label, suspected_ratio
from forge_core.date_window import DateWindow
from forge_core.settings import gap_weekdays
from forge_core.warehouse.sql_files import read_sql


@dataclass(frozen=True)
class Gap:
    """No bar for ``missing_weekdays`` weekdays between ``previous_date`` and ``date``."""

    symbol: str
    previous_date: dt.date
    date: dt.date
    missing_weekdays: int

    def describe(self) -> str:
        return (
            f"{self.symbol}: no bar for {self.missing_weekdays} weekdays between {self.previous_date} and "
            f"{self.date}; the return of {self.date} is left out and every window restarts there"
        )


@dataclass(frozen=True)
class SuspectedSplit:
    """An overnight move of unadjusted prices that a common split ratio explains."""

    symbol: str
    date: dt.date
    overnight_move: float  # ln(open / previous close)
    ratio: float

    def describe(self) -> str:
        return (
            f"{self.symbol} on {self.date}: opened {100 * math.expm1(self.overnight_move):+.1f}% from the previous "
            f"close, as a {ratio_label(self.ratio)} split would move it"
        )


@dataclass(frozen=True)
class Continuity:
    """The gaps and suspected splits of the bars of a window."""

    gaps: tuple[Gap, ...]
    splits: tuple[SuspectedSplit, ...]


def continuity(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> Continuity:
    """Gaps longer than ``FORGE_GAP_WEEKDAYS`` and suspected splits of the traded bars dated in ``window``."""
    conn.execute(read_sql("features/macros.sql"))
    limit = gap_weekdays()
    steps = conn.execute(
        read_sql("checks/raw_prices_steps.sql"),
        {
            **window.params(),
            "vix_symbols": sorted(VIX_SYMBOLS),
            "max_gap_weekdays": limit,
            "min_split_move": MIN_SPLIT_MOVE,
        },
    ).fetchall()
    gaps = tuple(
        Gap(symbol, before, day, int(missing)) for symbol, day, before, missing, _ in steps if missing > limit
    )
    splits = tuple(
        SuspectedSplit(symbol, day, float(move), ratio)
        for symbol, day, _, missing, move in steps
        if missing <= limit and (ratio := suspected_ratio(float(move))) is not None
    )
    return Continuity(gaps, splits)
