"""Validation of end-of-day option quotes into their canonical schema, every defect reported with its location.

A canonical quote frame has one row per (symbol, date, expiry, strike, option_type) with ``symbol`` (str),
``date`` and ``expiry`` (datetime64, midnight), ``strike``, ``bid``, ``ask``, ``bid_size``, ``ask_size``,
``underlying_price``, ``rate`` and ``dividend_yield`` (float64; continuously compounded per year, 0 where the input
has no such column) and ``option_type`` (``"C"`` or ``"P"``; the input may also write ``call``/``put``, any case).

As for prices, type checks come first (blank symbols, unparsable dates and numbers, missing or infinite values, an
unknown option type) and rows failing them are left out of the value checks, so one bad cell gives one problem:

- a strike or underlying price <= 0, a negative bid or size, a rate or dividend yield outside (-1, 1);
- a crossed (bid > ask) or zero-width (bid = ask) market;
- an expiry on or before the quote's date;
- a quote outside the no-arbitrage bounds of a European option with :math:`T` = (expiry - date) / 365,
  :math:`S` the underlying, :math:`D_r = e^{-rT}`, :math:`D_q = e^{-qT}`: a call's ask below
  :math:`\\max(S D_q - K D_r, 0)` or its bid above :math:`S D_q`; a put's ask below :math:`\\max(K D_r - S D_q, 0)`
  or its bid above :math:`K D_r` (a relative tolerance of 1e-9 of the bound absorbs the rounding of prices);
- the same contract quoted twice on one day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forge_core.data.schema import DataProblem, MarketDataError

REQUIRED_QUOTE_COLUMNS: tuple[str, ...] = (
    "symbol", "date", "expiry", "strike", "option_type", "bid", "ask", "bid_size", "ask_size", "underlying_price",
)  # fmt: skip
OPTIONAL_QUOTE_COLUMNS: tuple[str, ...] = ("rate", "dividend_yield")
QUOTE_COLUMNS: tuple[str, ...] = (*REQUIRED_QUOTE_COLUMNS, *OPTIONAL_QUOTE_COLUMNS)
QUOTE_KEY: tuple[str, ...] = ("symbol", "date", "expiry", "strike", "option_type")
SUMMARY_COLUMNS: tuple[str, ...] = (
    "symbol",
    "date",
    "bid",
    "ask",
    "bid_size",
    "ask_size",
    "buy_volume",
    "sell_volume",
)
NUMBER_COLUMNS: tuple[str, ...] = (
    "strike", "bid", "ask", "bid_size", "ask_size", "underlying_price", "rate", "dividend_yield",
)  # fmt: skip
OPTION_TYPES = {"c": "C", "call": "C", "p": "P", "put": "P"}
MAX_PROBLEMS_PER_CHECK = 1000
BOUND_TOLERANCE = 1e-9
DAYS_PER_YEAR = 365.0


class _Problems:
    """The problems of one input, each check capped at ``MAX_PROBLEMS_PER_CHECK`` plus a count of the rest."""

    def __init__(self, frame: pd.DataFrame, origin: str, first_row_number: int) -> None:
        self.frame, self.origin, self.first = frame, origin, first_row_number
        self.found: list[DataProblem] = []

    def add(
        self, rows: np.ndarray, column: str | None, message: str, values: pd.Series | None = None
    ) -> None:
        positions = np.flatnonzero(rows)
        for i in positions[:MAX_PROBLEMS_PER_CHECK]:
            self.found.append(
                DataProblem(
                    self.origin,
                    message,
                    row=self.first + int(i),
                    symbol=str(self.frame["symbol"].iat[i]) if "symbol" in self.frame else None,
                    date=str(self.frame["date"].iat[i]) if "date" in self.frame else None,
                    column=column,
                    value=None if values is None else values.iat[i],
                )
            )
        if len(positions) > MAX_PROBLEMS_PER_CHECK:
            rest = len(positions) - MAX_PROBLEMS_PER_CHECK
            self.found.append(DataProblem(self.origin, f"{message}: {rest} more rows", column=column))


@dataclass
class _Parsed:
    """An input's columns parsed, the problems found so far, and the rows that passed the type checks."""

    raw: pd.DataFrame
    problems: _Problems
    typed: np.ndarray
    symbol: pd.Series
    dates: dict[str, pd.Series]
    numbers: dict[str, pd.Series]

    def check(self, rows: np.ndarray, column: str, message: str) -> None:
        """A problem for every typed row of ``rows``, showing its ``column`` as written."""
        shown = self.raw[column] if column in self.raw else self.numbers[column]
        self.problems.add(self.typed & rows, column, message, shown)

    def duplicates(self, frame: pd.DataFrame, key: tuple[str, ...], what: str) -> None:
        twice = frame.duplicated(list(key), keep=False).to_numpy() & self.typed
        self.problems.add(twice, None, f"the same {what} ({', '.join(key)}) appears twice")

    def raise_any(self) -> None:
        if self.problems.found:
            raise MarketDataError(sorted(self.problems.found, key=lambda p: (p.row is None, p.row or 0)))


def _parse(
    frame: pd.DataFrame,
    origin: str,
    first_row_number: int,
    required: tuple[str, ...],
    date_columns: tuple[str, ...],
    number_columns: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> _Parsed:
    """Type checks of ``frame``: the ``required`` columns present (else MarketDataError at once), a symbol in
    every row, ISO dates, finite numbers (an ``optional`` number missing or blank is 0)."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise MarketDataError([DataProblem(origin, f"missing columns {missing}; need {list(required)}")])
    raw = frame.reset_index(drop=True)
    problems = _Problems(raw, origin, first_row_number)
    typed = np.ones(len(raw), dtype=bool)
    symbol = raw["symbol"].astype("string").str.strip()
    blank = symbol.isna().to_numpy() | (symbol.fillna("") == "").to_numpy()
    problems.add(blank, "symbol", "blank symbol")
    typed &= ~blank
    dates = {}
    for column in date_columns:
        parsed = pd.to_datetime(raw[column].astype("string").str.strip(), errors="coerce", format="ISO8601")
        bad = parsed.isna().to_numpy()
        problems.add(bad, column, f"{column} is not a date (YYYY-MM-DD)", raw[column])
        typed &= ~bad
        dates[column] = parsed.dt.normalize()
    numbers = {}
    for column in number_columns:
        if column not in raw:
            numbers[column] = pd.Series(0.0, index=raw.index)
            continue
        text = raw[column]
        values = pd.to_numeric(text, errors="coerce").astype(float)
        if column in optional:
            values = values.where(text.notna() & (text.astype("string").str.strip() != ""), 0.0)
        bad = ~np.isfinite(values.to_numpy())
        problems.add(bad, column, "not a finite number", text)
        typed &= ~bad
        numbers[column] = values
    return _Parsed(raw, problems, typed, symbol, dates, numbers)


def validate_option_quotes(frame: pd.DataFrame, origin: str, first_row_number: int = 2) -> pd.DataFrame:
    """``frame`` as canonical option quotes (see the module), or MarketDataError listing every problem.

    ``origin`` names the input in every problem; ``first_row_number`` is the row a user sees for the frame's first
    row (2 for a CSV file with a header line, 1 for Parquet)."""
    parsed = _parse(
        frame, origin, first_row_number, REQUIRED_QUOTE_COLUMNS, ("date", "expiry"), NUMBER_COLUMNS,
        OPTIONAL_QUOTE_COLUMNS,
    )  # fmt: skip
    raw, problems, numbers, dates, check = (
        parsed.raw,
        parsed.problems,
        parsed.numbers,
        parsed.dates,
        parsed.check,
    )
    kind = raw["option_type"].astype("string").str.strip().str.lower().map(OPTION_TYPES)
    unknown = kind.isna().to_numpy()
    problems.add(unknown, "option_type", "option_type must be C/P or call/put", raw["option_type"])
    parsed.typed &= ~unknown
    typed = parsed.typed

    n = {c: v.to_numpy() for c, v in numbers.items()}
    for column in ("strike", "underlying_price"):
        check(n[column] <= 0, column, f"{column} must be > 0")
    for column in ("bid", "bid_size", "ask_size"):
        check(n[column] < 0, column, f"{column} must be >= 0")
    for column in OPTIONAL_QUOTE_COLUMNS:
        check(np.abs(n[column]) >= 1, column, f"{column} must be a yearly rate in (-1, 1)")
    check(n["bid"] > n["ask"], "bid", "crossed market: bid above ask")
    check(n["bid"] == n["ask"], "bid", "zero-width market: bid equals ask")
    days = (dates["expiry"] - dates["date"]).dt.days.to_numpy()
    check(days <= 0, "expiry", "expiry on or before the quote's date")
    valued = typed & (days > 0) & (n["strike"] > 0) & (n["underlying_price"] > 0)
    t = np.where(valued, days, 1) / DAYS_PER_YEAR
    spot = n["underlying_price"] * np.exp(-n["dividend_yield"] * t)
    strike = n["strike"] * np.exp(-n["rate"] * t)
    call = (kind == "C").to_numpy()
    lower = np.maximum(np.where(call, spot - strike, strike - spot), 0.0)
    upper = np.where(call, spot, strike)
    slack = BOUND_TOLERANCE * upper
    problems.add(
        valued & (n["ask"] < lower - slack), "ask", "ask below the no-arbitrage lower bound", raw["ask"]
    )
    problems.add(
        valued & (n["bid"] > upper + slack), "bid", "bid above the no-arbitrage upper bound", raw["bid"]
    )

    quotes = pd.DataFrame(
        {
            "symbol": parsed.symbol.astype(object),
            "date": dates["date"],
            "expiry": dates["expiry"],
            "strike": numbers["strike"],
            "option_type": kind,
            **{c: numbers[c] for c in NUMBER_COLUMNS if c != "strike"},
        }
    )
    parsed.duplicates(quotes, QUOTE_KEY, "contract")
    parsed.raise_any()
    return quotes[list(QUOTE_COLUMNS)].sort_values(list(QUOTE_KEY), ignore_index=True)


def validate_quote_summaries(frame: pd.DataFrame, origin: str, first_row_number: int = 2) -> pd.DataFrame:
    """``frame`` as canonical daily quote and trade summaries (``SUMMARY_COLUMNS``: closing bid and ask, their
    sizes, buyer- and seller-initiated volume), or MarketDataError listing every problem: a price <= 0, a negative
    size or volume, a crossed or zero-width market, the same symbol and day twice."""
    parsed = _parse(frame, origin, first_row_number, SUMMARY_COLUMNS, ("date",), SUMMARY_COLUMNS[2:])
    n = {c: v.to_numpy() for c, v in parsed.numbers.items()}
    for column in ("bid", "ask"):
        parsed.check(n[column] <= 0, column, f"{column} must be > 0")
    for column in SUMMARY_COLUMNS[4:]:
        parsed.check(n[column] < 0, column, f"{column} must be >= 0")
    parsed.check(n["bid"] > n["ask"], "bid", "crossed market: bid above ask")
    parsed.check(n["bid"] == n["ask"], "bid", "zero-width market: bid equals ask")
    summaries = pd.DataFrame(
        {"symbol": parsed.symbol.astype(object), "date": parsed.dates["date"], **parsed.numbers}
    )
    parsed.duplicates(summaries, ("symbol", "date"), "symbol and day")
    parsed.raise_any()
    return summaries[list(SUMMARY_COLUMNS)].sort_values(["symbol", "date"], ignore_index=True)
