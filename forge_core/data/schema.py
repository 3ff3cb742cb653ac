"""The canonical daily OHLCV schema every market data source produces.

A canonical frame has one row per (symbol, trading day), sorted by symbol then date, with columns
``symbol`` (str), ``date`` (datetime64[ns], midnight), ``open``, ``high``, ``low``, ``close``, ``adj_close``
(float64; NaN where the source has none) and ``volume`` (float64).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUIRED_COLUMNS: tuple[str, ...] = ("symbol", "date", "open", "high", "low", "close", "volume")
OPTIONAL_COLUMNS: tuple[str, ...] = ("adj_close",)
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
NUMERIC_COLUMNS: tuple[str, ...] = (*PRICE_COLUMNS, "adj_close", "volume")
CANONICAL_COLUMNS: tuple[str, ...] = ("symbol", "date", *PRICE_COLUMNS, "adj_close", "volume")

# Series that are market indicators rather than traded prices: stored like any symbol, but joined onto
# the traded symbols' features (vix_level, vix_change) instead of getting features of their own.
VIX_SYMBOLS: frozenset[str] = frozenset({"^VIX", "VIX"})


@dataclass(frozen=True)
class DataProblem:
    """One concrete defect in market data input: where it is and what is wrong."""

    origin: str
    message: str
    row: int | None = None
    symbol: str | None = None
    date: str | None = None
    column: str | None = None
    value: Any = None

    def describe(self) -> str:
        where = [self.origin]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.symbol is not None:
            where.append(f"symbol {self.symbol}")
        if self.date is not None:
            where.append(f"date {self.date}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        value = "" if self.value is None else f" (value: {self.value!r})"
        return f"{', '.join(where)}: {self.message}{value}"


class MarketDataError(ValueError):
    """Market data input failed validation; ``problems`` lists every defect found (first ones first)."""

    def __init__(self, problems: list[DataProblem], max_listed: int = 20) -> None:
        if not problems:
            raise ValueError("MarketDataError needs at least one problem")
        self.problems = problems
        lines = [p.describe() for p in problems[:max_listed]]
        more = len(problems) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more")
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"invalid market data, {len(problems)} {noun}:\n  " + "\n  ".join(lines))
