"""Validation of raw OHLCV input into the canonical schema, reporting every defect with its location.

Checks run in two stages. Type checks (blank symbols, unparsable dates and numbers, missing or infinite
values) come first; rows that fail them are left out of the value checks (prices, ranges, volume,
duplicates, order, future dates), so one bad cell gives one clear problem rather than a cascade.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forge_core.data.schema import (
    CANONICAL_COLUMNS,
    NUMERIC_COLUMNS,
    PRICE_COLUMNS,
    REQUIRED_COLUMNS,
    DataProblem,
    MarketDataError,
)

# Most problems built per check; beyond it one summary problem gives the count of the rest.
MAX_PROBLEMS_PER_CHECK = 1000

_MISSING_TOKENS = frozenset({"", "na", "nan", "null"})
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_REQUIRED_NUMBERS = [c for c in NUMERIC_COLUMNS if c in REQUIRED_COLUMNS]


def validate_ohlcv(
    frame: pd.DataFrame,
    origin: str,
    *,
    today: datetime.date | None = None,
    first_row_number: int = 2,
) -> pd.DataFrame:
    """Return ``frame`` as a canonical OHLCV frame, or raise MarketDataError listing every problem in it.

    ``origin`` names the input in every problem; ``first_row_number`` is the row number a user sees for
    the frame's first row (2 for a CSV file with a header line, 1 for Parquet). Dates after ``today``
    (default: the current date) are errors.
    """
    if len(frame) == 0:
        raise MarketDataError([DataProblem(origin, "no rows")])
    frame = frame.rename(columns=lambda name: str(name).strip().lower().replace(" ", "_"))
    column_problems = _check_columns(frame, origin)
    if column_problems:
        raise MarketDataError(column_problems)

    data = _parse(frame, origin, first_row_number)
    typed = data.typed_rows()
    today = today or datetime.date.today()
    problems = [
        *_check_types(data),
        *_check_prices(data, typed),
        *_check_ranges(data, typed),
        *_check_volume(data, typed),
        *_check_sequence(data, typed & data.dates.le(pd.Timestamp(today))),  # future dates reported below
        *_check_future(data, typed, today),
    ]
    if problems:
        raise MarketDataError(sorted(problems, key=lambda p: (p.row is None, p.row or 0)))
    canonical = data.numbers.assign(symbol=data.symbols, date=data.dates)[list(CANONICAL_COLUMNS)]
    return canonical.sort_values(["symbol", "date"]).reset_index(drop=True)


@dataclass(frozen=True)
class _Input:
    """The input parsed column by column; all series share one RangeIndex over the input rows."""

    origin: str
    rows: np.ndarray  # user-visible row numbers
    text: pd.DataFrame  # every canonical column as stripped text
    missing: pd.DataFrame  # every canonical column: the cell is empty or a missing-value token
    symbols: pd.Series  # "" where blank
    dates: pd.Series  # datetime64[ns] at midnight, NaT where missing or unparsable
    numbers: pd.DataFrame  # float64 per numeric column, NaN where missing or unparsable

    def typed_rows(self) -> pd.Series:
        """Rows whose cells all parsed, and so take part in the value checks."""
        return ~(
            self.symbols.eq("")
            | self.dates.isna()
            | self.numbers[_REQUIRED_NUMBERS].isna().any(axis=1)
            | np.isinf(self.numbers).any(axis=1)
            | (self.numbers["adj_close"].isna() & ~self.missing["adj_close"])
        )

    def flag(
        self,
        mask: pd.Series,
        message: str,
        *,
        column: str | None = None,
        detail: pd.Series | None = None,
        show_value: bool = True,
    ) -> list[DataProblem]:
        """One problem per row in ``mask`` (``detail`` appended to its message), capped per check."""
        positions = np.flatnonzero(mask.to_numpy(dtype=bool))
        problems = [
            DataProblem(
                self.origin,
                message if detail is None else message + detail.iat[i],
                row=int(self.rows[i]),
                symbol=self.symbols.iat[i] or None,
                date=None if pd.isna(self.dates.iat[i]) else self.dates.iat[i].date().isoformat(),
                column=column,
                value=self.text.at[i, column] if show_value and column is not None else None,
            )
            for i in positions[:MAX_PROBLEMS_PER_CHECK]
        ]
        if len(positions) > MAX_PROBLEMS_PER_CHECK:
            more = len(positions) - MAX_PROBLEMS_PER_CHECK
            problems.append(DataProblem(self.origin, f"{message}: {more} more rows", column=column))
        return problems


def _check_columns(frame: pd.DataFrame, origin: str) -> list[DataProblem]:
    counts = Counter(frame.columns)
    found = ", ".join(frame.columns)
    return [
        *(DataProblem(origin, "column appears more than once", column=c) for c, n in counts.items() if n > 1),
        *(
            DataProblem(origin, f"missing required column (columns found: {found})", column=c)
            for c in REQUIRED_COLUMNS
            if c not in counts
        ),
    ]


def _parse(frame: pd.DataFrame, origin: str, first_row_number: int) -> _Input:
    raw = frame.reset_index(drop=True).reindex(columns=list(CANONICAL_COLUMNS))
    text = raw.astype(str).apply(lambda column: column.str.strip())
    missing = raw.isna() | text.apply(lambda column: column.str.lower().isin(_MISSING_TOKENS))
    missing["symbol"] = raw["symbol"].isna() | text["symbol"].eq("")  # "NA" and "NAN" are real tickers
    text = text.mask(raw.isna(), "")
    numbers = text[list(NUMERIC_COLUMNS)].mask(missing[list(NUMERIC_COLUMNS)])
    return _Input(
        origin=origin,
        rows=np.arange(len(raw)) + first_row_number,
        text=text,
        missing=missing,
        symbols=text["symbol"],
        dates=_parse_dates(raw["date"], text["date"].mask(missing["date"])),
        numbers=numbers.apply(pd.to_numeric, errors="coerce").astype("float64"),
    )


def _parse_dates(raw: pd.Series, text: pd.Series) -> pd.Series:
    """Datetime columns as they are (time zone dropped); text only as ISO 8601 (``2020-01-31``)."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        dates = raw.dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        dates = raw
    else:
        iso = text.where(text.str.fullmatch(_ISO_DATE, na=False))
        dates = pd.to_datetime(iso, format="ISO8601", errors="coerce")
    return dates.dt.normalize().astype("datetime64[ns]")


def _check_types(data: _Input) -> list[DataProblem]:
    empty = data.missing[list(REQUIRED_COLUMNS)].all(axis=1)
    problems = [
        *data.flag(empty, "empty row", show_value=False),
        *data.flag(~empty & data.missing["symbol"], "blank symbol", column="symbol"),
        *data.flag(~empty & data.missing["date"], "missing date", column="date"),
        *data.flag(
            ~data.missing["date"] & data.dates.isna(),
            "unparsable date (expected YYYY-MM-DD)",
            column="date",
        ),
    ]
    for column in NUMERIC_COLUMNS:
        missing = data.missing[column]
        number = data.numbers[column]
        if column in REQUIRED_COLUMNS:
            problems += data.flag(~empty & missing, "missing value", column=column)
        problems += data.flag(~missing & number.isna(), "not a number", column=column)
        problems += data.flag(np.isinf(number), "infinite value", column=column)
    return problems


def _check_prices(data: _Input, typed: pd.Series) -> list[DataProblem]:
    return [
        problem
        for column in (*PRICE_COLUMNS, "adj_close")
        for problem in data.flag(typed & data.numbers[column].le(0), "price must be positive", column=column)
    ]


def _check_ranges(data: _Input, typed: pd.Series) -> list[DataProblem]:
    prices, text = data.numbers, data.text
    positive = typed & prices[list(PRICE_COLUMNS)].gt(0).all(axis=1)  # non-positive prices are reported
    swapped = positive & prices["high"].lt(prices["low"])
    in_range = positive & ~swapped
    body = " (open " + text["open"] + ", close " + text["close"] + ")"
    return [
        *data.flag(swapped, "high is below low", column="high", detail=" (" + text["low"] + ")"),
        *data.flag(
            in_range & prices["high"].lt(prices[["open", "close"]].max(axis=1)),
            "high is below max(open, close)",
            column="high",
            detail=body,
        ),
        *data.flag(
            in_range & prices["low"].gt(prices[["open", "close"]].min(axis=1)),
            "low is above min(open, close)",
            column="low",
            detail=body,
        ),
    ]


def _check_volume(data: _Input, typed: pd.Series) -> list[DataProblem]:
    return data.flag(typed & data.numbers["volume"].lt(0), "volume is negative", column="volume")


def _check_sequence(data: _Input, checked: pd.Series) -> list[DataProblem]:
    """Duplicate (symbol, date) rows, then dates not after the previous row of the same symbol."""
    keys = pd.DataFrame({"symbol": data.symbols, "date": data.dates, "row": data.rows})[checked]
    duplicate = keys.duplicated(["symbol", "date"])
    first_row = keys.groupby(["symbol", "date"])["row"].transform("first")
    unique = keys[~duplicate]
    previous = unique.groupby("symbol")[["date", "row"]].shift()
    early = unique["date"].le(previous["date"])
    previous_at = " (row " + previous["row"].astype("Int64").astype(str) + ": "
    return [
        *data.flag(
            duplicate.reindex(data.symbols.index, fill_value=False),
            "duplicate of the same symbol and date",
            detail=(" in row " + first_row.astype(str)).reindex(data.symbols.index),
        ),
        *data.flag(
            early.reindex(data.symbols.index, fill_value=False),
            "date is not after the previous row of this symbol",
            column="date",
            detail=(previous_at + previous["date"].dt.strftime("%Y-%m-%d") + ")").reindex(data.symbols.index),
            show_value=False,
        ),
    ]


def _check_future(data: _Input, typed: pd.Series, today: datetime.date) -> list[DataProblem]:
    return data.flag(
        typed & data.dates.gt(pd.Timestamp(today)),
        f"date is in the future (today is {today.isoformat()})",
        column="date",
        show_value=False,
    )
