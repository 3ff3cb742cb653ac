"""Validation of raw OHLCV input into the canonical schema, reporting every defect with its location.

Checks run in two stages. Type checks (blank symbols, unparsable dates and numbers, missing or infinite
values) come first; rows that fail them are left out of the value checks (prices, ranges, volume,
duplicates, order, future dates, plausibility), so one bad cell gives one clear problem rather than a cascade.

Plausibility checks find values that are well-formed but cannot be right: a price outside ``price_range``
and a daily log return (per symbol, from one day to the next) beyond ``max_abs_log_return``. In mode
``"refuse"`` they are problems like any other; in mode ``"flag"`` the rows are accepted and the problems are
handed back in ``CheckedBars.flagged``.

Every check is vectorised over whole columns (Arrow compute for text, NumPy for numbers); Python runs per row
only to describe the problems found, and dates are parsed once per distinct value.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forge_core.data.schema import (
    CANONICAL_COLUMNS,
    NUMERIC_COLUMNS,
    PRICE_COLUMNS,
    REQUIRED_COLUMNS,
    DataProblem,
    MarketDataError,
)
from forge_core.data.splits import no_splits, ratio_label, split_advice, split_ratios, suspected_ratio

# Most problems built per check; beyond it one summary problem gives the count of the rest.
MAX_PROBLEMS_PER_CHECK = 1000

PlausibilityMode = Literal["refuse", "flag"]
PLAUSIBILITY_MODES: tuple[str, ...] = ("refuse", "flag")
DEFAULT_MAX_ABS_LOG_RETURN = 1.0  # |log(p_t / p_t-1)| of 1 is a move to 2.7x or 0.37x in one day
DEFAULT_PRICE_RANGE: tuple[float, float] = (1e-6, 1e9)

_MISSING_TOKENS = ("", "na", "nan", "null")
_INFINITY_TOKENS = frozenset({"inf", "infinity"})
_PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"  # what Arrow and pandas read alike
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_REQUIRED_NUMBERS = [c for c in NUMERIC_COLUMNS if c in REQUIRED_COLUMNS]
_CHECKED_PRICES = (*PRICE_COLUMNS, "adj_close")


@dataclass(frozen=True)
class Plausibility:
    """Bounds beyond which a well-formed value is implausible, and what to do with such rows.

    ``max_abs_log_return``: largest allowed |log(p_t / p_t-1)| between a symbol's consecutive days, on
    ``adj_close`` where both days have one and ``close`` otherwise (None: no return check).
    ``price_range``: (lowest, highest) allowed open, high, low, close and adj_close (None: no range check).
    ``mode``: ``"refuse"`` (implausible rows are problems: MarketDataError) or ``"flag"`` (accepted, and
    listed in ``CheckedBars.flagged``).
    """

    max_abs_log_return: float | None = DEFAULT_MAX_ABS_LOG_RETURN
    price_range: tuple[float, float] | None = DEFAULT_PRICE_RANGE
    mode: PlausibilityMode = "refuse"

    def __post_init__(self) -> None:
        bound = self.max_abs_log_return
        if bound is not None and not (isinstance(bound, int | float) and bound > 0 and math.isfinite(bound)):
            raise ValueError(f"max_abs_log_return must be a positive finite number or None, got {bound!r}")
        if self.price_range is not None:
            try:
                low, high = (float(bound) for bound in self.price_range)
            except (TypeError, ValueError):
                low = high = math.nan
            if not (0 <= low < high):
                raise ValueError(
                    f"price_range must be (low, high) with 0 <= low < high, got {self.price_range!r}"
                )
            object.__setattr__(self, "price_range", (low, high))  # a list from a config file becomes a tuple
        if self.mode not in PLAUSIBILITY_MODES:
            raise ValueError(f"plausibility mode must be one of {PLAUSIBILITY_MODES}, got {self.mode!r}")


@dataclass(frozen=True)
class CheckedBars:
    """Validated canonical bars, and the implausible rows accepted in mode ``"flag"``.

    ``flagged`` holds one DataProblem per implausible row (origin, row, symbol, date, column, value and the
    reason), first rows first, capped at MAX_PROBLEMS_PER_CHECK per check plus one summary problem with the
    count of the rest; it is empty in mode ``"refuse"`` (where such rows fail validation instead). ``splits``: the
    source's splits of the bars' dates (``symbol, date, ratio``; ``forge_core.data.splits``), stored beside them.
    """

    bars: pd.DataFrame
    flagged: tuple[DataProblem, ...] = ()
    splits: pd.DataFrame = field(default_factory=no_splits)


def validate_ohlcv(
    frame: pd.DataFrame,
    origin: str,
    *,
    today: datetime.date | None = None,
    first_row_number: int = 2,
    max_abs_log_return: float | None = DEFAULT_MAX_ABS_LOG_RETURN,
    price_range: tuple[float, float] | None = DEFAULT_PRICE_RANGE,
    plausibility_mode: PlausibilityMode = "refuse",
) -> pd.DataFrame:
    """Return ``frame`` as a canonical OHLCV frame, or raise MarketDataError listing every problem in it.

    ``origin`` names the input in every problem; ``first_row_number`` is the row number a user sees for
    the frame's first row (2 for a CSV file with a header line, 1 for Parquet). Dates after ``today``
    (default: the current date) are errors. The plausibility settings are those of ``Plausibility``; in
    mode ``"flag"`` the implausible rows are kept and their problems dropped: use ``check_ohlcv`` to get them.
    """
    return check_ohlcv(
        frame,
        origin,
        today=today,
        first_row_number=first_row_number,
        max_abs_log_return=max_abs_log_return,
        price_range=price_range,
        plausibility_mode=plausibility_mode,
    ).bars


def check_ohlcv(
    frame: pd.DataFrame,
    origin: str,
    *,
    today: datetime.date | None = None,
    first_row_number: int = 2,
    max_abs_log_return: float | None = DEFAULT_MAX_ABS_LOG_RETURN,
    price_range: tuple[float, float] | None = DEFAULT_PRICE_RANGE,
    plausibility_mode: PlausibilityMode = "refuse",
) -> CheckedBars:
    """``validate_ohlcv``, returning the canonical bars with the implausible rows flagged (mode ``"flag"``)."""
    plausibility = Plausibility(max_abs_log_return, price_range, plausibility_mode)
    return check_with(frame, origin, plausibility, today=today, first_row_number=first_row_number)


def check_with(
    frame: pd.DataFrame,
    origin: str,
    plausibility: Plausibility,
    *,
    today: datetime.date | None = None,
    first_row_number: int = 2,
    splits: pd.DataFrame | None = None,
) -> CheckedBars:
    """``check_ohlcv`` with the plausibility settings as one value; ``splits`` (symbol, date, ratio) adjust the
    returns of days without adj_close."""
    if len(frame) == 0:
        raise MarketDataError([DataProblem(origin, "no rows")])
    names = [str(name).strip().lower().replace(" ", "_") for name in frame.columns]
    column_problems = _check_columns(names, origin)
    if column_problems:
        raise MarketDataError(column_problems)

    data = _parse(frame, names, origin, first_row_number)
    typed = data.typed_rows()
    today = today or datetime.date.today()
    past = data.dates <= np.datetime64(today, "ns")  # NaT compares False
    sequence = _Sequence.of(data, typed & past)  # future dates are reported by _check_future
    problems = [
        *_check_types(data),
        *_check_prices(data, typed),
        *_check_ranges(data, typed),
        *_check_volume(data, typed),
        *sequence.problems(data),
        *_check_future(data, typed, today),
    ]
    implausible = _check_plausibility(data, typed & past & ~sequence.duplicate, plausibility, splits)
    flagged: list[DataProblem] = []
    if plausibility.mode == "refuse":
        problems += implausible
    else:
        flagged = _by_row(implausible)
    if problems:
        raise MarketDataError(_by_row(problems))
    return CheckedBars(data.into_canonical(), tuple(flagged))


def _by_row(problems: list[DataProblem]) -> list[DataProblem]:
    return sorted(problems, key=lambda p: (p.row is None, p.row or 0))


@dataclass(frozen=True)
class _Column:
    """One canonical column: which cells are missing, and the stripped text of a cell (for problems)."""

    missing: np.ndarray  # bool per row: empty, a missing-value token or a null
    text: Callable[[int], str]


@dataclass(frozen=True)
class _Symbols:
    """The symbol column parsed (``_parse_symbols``).

    Attributes
    ----------
    column : _Column
        Which cells are blank, and their text.
    names : np.ndarray
        Object: the stripped symbol per row, "" where blank.
    ranks : np.ndarray
        int64: the rank of the row's symbol in sorted order.
    """

    column: _Column
    names: np.ndarray
    ranks: np.ndarray


@dataclass(frozen=True)
class _Input:
    """The input parsed column by column into NumPy arrays over the input rows (positions 0..n-1)."""

    origin: str
    rows: np.ndarray  # user-visible row numbers
    columns: dict[str, _Column]  # every canonical column
    symbols: np.ndarray  # object: stripped symbol, "" where blank
    symbol_ranks: np.ndarray  # int64: rank of the symbol in sorted order (sorting by it sorts by symbol)
    dates: np.ndarray  # datetime64[ns] at midnight, NaT where missing or unparsable
    numbers: dict[str, np.ndarray]  # float64 per numeric column, NaN where missing or unparsable
    block: np.ndarray  # the numbers as one (column, row) array: numbers[c] is a row of it
    key: np.ndarray  # int64 per row, ordered as (symbol, date); meaningless where the date is NaT
    order: np.ndarray  # positions sorted by key, ties in input order

    def text(self, column: str, position: int) -> str:
        return self.columns[column].text(position)

    def missing(self, column: str) -> np.ndarray:
        return self.columns[column].missing

    def typed_rows(self) -> np.ndarray:
        """Rows whose cells all parsed, and so take part in the value checks."""
        bad: np.ndarray = self.missing("symbol") | np.isnat(self.dates)
        for column in _REQUIRED_NUMBERS:
            bad |= np.isnan(self.numbers[column])
        for column in NUMERIC_COLUMNS:
            bad |= np.isinf(self.numbers[column])
        bad |= np.isnan(self.numbers["adj_close"]) & ~self.missing("adj_close")
        return ~bad

    def date_text(self, position: int) -> str | None:
        date = self.dates[position]
        return None if np.isnat(date) else str(date.astype("datetime64[D]"))

    def flag(
        self,
        mask: np.ndarray,
        message: str,
        *,
        column: str | None = None,
        detail: Callable[[int], str] | None = None,
        show_value: bool = True,
    ) -> list[DataProblem]:
        """One problem per row in ``mask`` (``detail(position)`` appended to its message), capped per check."""
        positions = np.flatnonzero(mask)
        problems = [
            DataProblem(
                self.origin,
                message if detail is None else message + detail(i),
                row=int(self.rows[i]),
                symbol=self.symbols[i] or None,
                date=self.date_text(i),
                column=column,
                value=self.text(column, i) if show_value and column is not None else None,
            )
            for i in positions[:MAX_PROBLEMS_PER_CHECK].tolist()
        ]
        if len(positions) > MAX_PROBLEMS_PER_CHECK:
            more = len(positions) - MAX_PROBLEMS_PER_CHECK
            problems.append(DataProblem(self.origin, f"{message}: {more} more rows", column=column))
        return problems

    def into_canonical(self) -> pd.DataFrame:
        """The rows as a canonical frame, sorted by symbol then date; the last use of this input, as the numbers
        are sorted in place (so the frame's numbers are not a second copy)."""
        for row in self.block:
            row[:] = row[self.order]
        frame = pd.DataFrame(self.block.T, columns=list(NUMERIC_COLUMNS), copy=False)
        frame.insert(0, "date", self.dates[self.order])
        frame.insert(0, "symbol", self.symbols[self.order])
        return frame  # columns in CANONICAL_COLUMNS order


def _check_columns(names: list[str], origin: str) -> list[DataProblem]:
    counts = Counter(names)
    found = ", ".join(names)
    return [
        *(DataProblem(origin, "column appears more than once", column=c) for c, n in counts.items() if n > 1),
        *(
            DataProblem(origin, f"missing required column (columns found: {found})", column=c)
            for c in REQUIRED_COLUMNS
            if c not in counts
        ),
    ]


def _parse(frame: pd.DataFrame, names: list[str], origin: str, first_row_number: int) -> _Input:
    size = len(frame)
    position = {name: i for i, name in enumerate(names)}
    raw = {c: frame.iloc[:, position[c]] if c in position else None for c in CANONICAL_COLUMNS}
    columns: dict[str, _Column] = {}
    block = np.empty((len(NUMERIC_COLUMNS), size))
    numbers = dict(zip(NUMERIC_COLUMNS, block, strict=True))
    for column in NUMERIC_COLUMNS:
        columns[column] = _parse_numbers(raw[column], numbers[column])
    symbols = _parse_symbols(raw["symbol"], size)
    columns["symbol"] = symbols.column
    columns["date"], dates = _parse_dates(raw["date"], size)
    key = _sort_key(symbols.ranks, dates)
    return _Input(
        origin=origin,
        rows=np.arange(size) + first_row_number,
        columns=columns,
        symbols=symbols.names,
        symbol_ranks=symbols.ranks,
        dates=dates,
        numbers=numbers,
        block=block,
        key=key,
        order=np.argsort(key, kind="stable"),
    )


def _sort_key(symbol_ranks: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """One int64 per row that sorts as (symbol, date): the symbol's rank, then the day."""
    known = ~np.isnat(dates)
    days = dates.view(np.int64) // (86_400 * 10**9)
    offset = np.where(known, days - (days[known].min() if known.any() else 0), 0)
    return (symbol_ranks << 32) | offset


def _arrow_text(raw: pd.Series) -> Any:
    """The column as Arrow strings, null where the cell is null (None, NaN, NaT, NA), whitespace stripped.

    Text columns (object, Arrow or pandas strings) convert without copying the values one by one; any other
    column is first written as text, as ``str(value)``. Strings are only copied to strip them when their bytes
    hold whitespace or non-ASCII characters.
    """
    strings = None
    try:
        if isinstance(raw.dtype, pd.ArrowDtype | pd.StringDtype):
            strings = pa.array(raw)
        elif raw.dtype == object:
            strings = pa.array(raw, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        strings = None
    if strings is None or not (pa.types.is_string(strings.type) or pa.types.is_large_string(strings.type)):
        strings = pa.array(raw.astype(str).where(raw.notna(), None), type=pa.string(), from_pandas=True)
    return pc.utf8_trim_whitespace(strings) if _may_have_whitespace(strings) else strings


def _may_have_whitespace(strings: Any) -> bool:
    """Whether some byte of the strings is ASCII whitespace or control, or not ASCII (which may be a space)."""
    for chunk in strings.chunks if isinstance(strings, pa.ChunkedArray) else [strings]:
        data = chunk.buffers()[2]
        if data is not None and data.size:
            octets = np.frombuffer(data, dtype=np.uint8)
            if octets.max() >= 0x80 or octets.min() <= 0x20:
                return True
    return False


def _numpy_bool(array: Any) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _text_of(stripped: Any) -> Callable[[int], str]:
    def text(position: int) -> str:
        value = stripped[position].as_py()
        return "" if value is None else str(value)

    return text


def _is_missing(values: list[str | None]) -> np.ndarray:
    return np.array([value is None or value.lower() in _MISSING_TOKENS for value in values], dtype=bool)


def _missing_tokens(stripped: Any) -> np.ndarray:
    tokens = pc.is_in(pc.utf8_lower(stripped), pa.array(_MISSING_TOKENS))
    return _numpy_bool(pc.or_kleene(pc.is_null(stripped), tokens))


def _distinct(stripped: Any) -> tuple[list[str | None], np.ndarray]:
    """The distinct values (None for null) and, per row, the index of its value among them."""
    distinct = pc.unique(stripped)
    codes = pc.index_in(stripped, value_set=distinct)  # a null matches the null among the distinct values
    return distinct.to_pylist(), np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)


def _absent(size: int) -> _Column:
    return _Column(np.ones(size, dtype=bool), lambda _position: "")


def _parse_numbers(raw: pd.Series | None, values: np.ndarray) -> _Column:
    """A numeric column as float64 into ``values``: NaN where missing or not a number.

    Text is cast by Arrow with empty cells as nulls. Only if some cell does not cast are the missing-value
    tokens looked for in every cell; then plain decimals are cast by Arrow and the other cells parsed by
    pandas, as they always were (so a bad cell becomes NaN, and ``Infinity`` infinite).
    """
    if raw is None:
        values[:] = np.nan
        return _absent(len(values))
    if pd.api.types.is_float_dtype(raw.dtype) or pd.api.types.is_integer_dtype(raw.dtype):
        missing = raw.isna().to_numpy(dtype=bool)
        values[:] = raw.to_numpy(dtype="float64", na_value=np.nan)
        return _Column(missing, lambda i: "" if missing[i] else str(raw.iat[i]).strip())
    stripped = _arrow_text(raw)
    text = _text_of(stripped)
    missing = _numpy_bool(pc.or_kleene(pc.is_null(stripped), pc.equal(stripped, "")))
    try:
        kept = (
            pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), stripped)
            if missing.any()
            else stripped
        )
        values[:] = pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False)
        nan = np.flatnonzero(np.isnan(values) & ~missing)  # "nan" is a missing-value token, "-nan" is not
        if len(nan):
            missing[nan] = _is_missing(pc.take(stripped, pa.array(nan)).to_pylist())
    except pa.ArrowInvalid:  # some cell is not a number, or is a token such as "NA"
        missing = _missing_tokens(stripped)
        _parse_odd_numbers(stripped, missing, values)
    for i in np.flatnonzero(np.isinf(values)).tolist():  # a number too large for float64 is not a number
        if text(i).lower().lstrip("+-") not in _INFINITY_TOKENS:
            values[i] = np.nan
    return _Column(missing, text)


def _parse_odd_numbers(stripped: Any, missing: np.ndarray, values: np.ndarray) -> None:
    """Numbers of a column with cells Arrow does not cast: plain decimals by Arrow, the other cells (not a
    number, or ``inf`` and the like) by pandas, into ``values``; NaN where missing or not a number."""
    plain = _numpy_bool(pc.match_substring_regex(stripped, _PLAIN_NUMBER)) & ~missing
    try:
        kept = pc.if_else(pa.array(plain), stripped, pa.scalar(None, pa.string()))
        values[:] = pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # not expected: then pandas parses every cell
        plain[:] = False
    odd = np.flatnonzero(~plain & ~missing)
    cells = pc.take(stripped, pa.array(odd)).to_pylist() if len(odd) else []
    values[odd] = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy("float64")
    values[missing] = np.nan


def _parse_symbols(raw: pd.Series | None, size: int) -> _Symbols:
    """Stripped symbols ("" where blank) as an object array, and their ranks in sorted order."""
    if raw is None:  # a required column: never absent once the columns are checked
        return _Symbols(_absent(size), np.full(size, "", dtype=object), np.zeros(size, dtype=np.int64))
    stripped = _arrow_text(raw)
    distinct, codes = _distinct(stripped)
    names = np.array([value or "" for value in distinct] or [""], dtype=object)
    ranks = np.empty(len(names), dtype=np.int64)
    ranks[np.argsort(names, kind="stable")] = np.arange(len(names))
    return _Symbols(_Column((names == "")[codes], _text_of(stripped)), names[codes], ranks[codes])


def _parse_dates(raw: pd.Series | None, size: int) -> tuple[_Column, np.ndarray]:
    """Datetime columns as they are (time zone dropped); text only as ISO 8601 (``2020-01-31``).

    Text is parsed once per distinct value, so a file of many symbols over the same days parses each day once.
    """
    if raw is None:
        return _absent(size), np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    if isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(raw.dtype):
        dates = raw.dt.tz_localize(None) if isinstance(raw.dtype, pd.DatetimeTZDtype) else raw
        missing = raw.isna().to_numpy(dtype=bool)
        values = dates.dt.normalize().to_numpy(dtype="datetime64[ns]")
        return _Column(missing, lambda i: "" if missing[i] else str(raw.iat[i]).strip()), values
    stripped = _arrow_text(raw)
    distinct, codes = _distinct(stripped)
    missing = _is_missing(distinct)
    text = pd.Series(distinct, dtype=object).mask(missing)
    iso = text.where(text.str.fullmatch(_ISO_DATE, na=False))
    parsed = pd.to_datetime(iso, format="ISO8601", errors="coerce").dt.normalize()
    values = parsed.to_numpy(dtype="datetime64[ns]")
    return _Column(missing[codes], _text_of(stripped)), values[codes]


def _check_types(data: _Input) -> list[DataProblem]:
    empty = np.logical_and.reduce([data.missing(c) for c in REQUIRED_COLUMNS])
    problems = [
        *data.flag(empty, "empty row", show_value=False),
        *data.flag(~empty & data.missing("symbol"), "blank symbol", column="symbol"),
        *data.flag(~empty & data.missing("date"), "missing date", column="date"),
        *data.flag(
            ~data.missing("date") & np.isnat(data.dates),
            "unparsable date (expected YYYY-MM-DD)",
            column="date",
        ),
    ]
    for column in NUMERIC_COLUMNS:
        missing = data.missing(column)
        number = data.numbers[column]
        if column in REQUIRED_COLUMNS:
            problems += data.flag(~empty & missing, "missing value", column=column)
        problems += data.flag(~missing & np.isnan(number), "not a number", column=column)
        problems += data.flag(np.isinf(number), "infinite value", column=column)
    return problems


def _check_prices(data: _Input, typed: np.ndarray) -> list[DataProblem]:
    return [
        problem
        for column in _CHECKED_PRICES
        for problem in data.flag(typed & (data.numbers[column] <= 0), "price must be positive", column=column)
    ]


def _check_ranges(data: _Input, typed: np.ndarray) -> list[DataProblem]:
    prices = data.numbers
    positive = typed & np.logical_and.reduce([prices[c] > 0 for c in PRICE_COLUMNS])  # others are reported
    swapped = positive & (prices["high"] < prices["low"])
    in_range = positive & ~swapped

    def body(i: int) -> str:
        return f" (open {data.text('open', i)}, close {data.text('close', i)})"

    return [
        *data.flag(swapped, "high is below low", column="high", detail=lambda i: f" ({data.text('low', i)})"),
        *data.flag(
            in_range & (prices["high"] < np.maximum(prices["open"], prices["close"])),
            "high is below max(open, close)",
            column="high",
            detail=body,
        ),
        *data.flag(
            in_range & (prices["low"] > np.minimum(prices["open"], prices["close"])),
            "low is above min(open, close)",
            column="low",
            detail=body,
        ),
    ]


def _check_volume(data: _Input, typed: np.ndarray) -> list[DataProblem]:
    return data.flag(typed & (data.numbers["volume"] < 0), "volume is negative", column="volume")


@dataclass(frozen=True)
class _Sequence:
    """Duplicate (symbol, date) rows, and rows dated not after the previous row of the same symbol.

    Among the checked rows, a row repeating an earlier row's symbol and date is a duplicate of that first
    row; among the rest, each row is compared with the previous one of its symbol in input order.
    """

    duplicate: np.ndarray  # bool per row
    first_row: np.ndarray  # for duplicates: the row number of the first row with that symbol and date
    early: np.ndarray  # bool per row
    previous: np.ndarray  # for early rows: the position of the previous row of the symbol

    @staticmethod
    def of(data: _Input, checked: np.ndarray) -> _Sequence:
        size = len(data.rows)
        duplicate = np.zeros(size, dtype=bool)
        first_row = np.zeros(size, dtype=np.int64)
        early = np.zeros(size, dtype=bool)
        previous = np.zeros(size, dtype=np.int64)
        by_key = data.order[checked[data.order]]  # ties stay in input order
        if len(by_key) == 0:
            return _Sequence(duplicate, first_row, early, previous)
        keys = data.key[by_key]
        same_key = keys[1:] == keys[:-1]
        group_first = by_key[
            np.maximum.accumulate(np.where(np.r_[True, ~same_key], np.arange(len(by_key)), 0))
        ]
        repeats = by_key[1:][same_key]
        duplicate[repeats] = True
        first_row[by_key] = data.rows[group_first]

        unique = by_key[~duplicate[by_key]]  # sorted by symbol and date
        same_symbol = data.symbol_ranks[unique][1:] == data.symbol_ranks[unique][:-1]
        if (unique[1:] > unique[:-1])[same_symbol].all():  # each symbol's rows come in date order
            return _Sequence(duplicate, first_row, early, previous)
        unique = np.sort(unique)
        in_order = unique[np.argsort(data.symbol_ranks[unique], kind="stable")]
        same_symbol = data.symbol_ranks[in_order][1:] == data.symbol_ranks[in_order][:-1]
        later, before = in_order[1:][same_symbol], in_order[:-1][same_symbol]
        not_after = data.dates[later] <= data.dates[before]
        early[later[not_after]] = True
        previous[later[not_after]] = before[not_after]
        return _Sequence(duplicate, first_row, early, previous)

    def problems(self, data: _Input) -> list[DataProblem]:
        return [
            *data.flag(
                self.duplicate,
                "duplicate of the same symbol and date",
                detail=lambda i: f" in row {self.first_row[i]}",
            ),
            *data.flag(
                self.early,
                "date is not after the previous row of this symbol",
                column="date",
                detail=lambda i: (
                    f" (row {data.rows[self.previous[i]]}: {data.date_text(int(self.previous[i]))})"
                ),
                show_value=False,
            ),
        ]


def _check_future(data: _Input, typed: np.ndarray, today: datetime.date) -> list[DataProblem]:
    return data.flag(
        typed & (data.dates > np.datetime64(today, "ns")),
        f"date is in the future (today is {today.isoformat()})",
        column="date",
        show_value=False,
    )


def _check_plausibility(
    data: _Input, checked: np.ndarray, plausibility: Plausibility, splits: pd.DataFrame | None
) -> list[DataProblem]:
    """Prices outside the plausible range, then daily log returns beyond the bound (on ``checked`` rows)."""
    prices = data.numbers
    plausible = {c: np.isfinite(prices[c]) & (prices[c] > 0) for c in ("close", "adj_close")}
    problems: list[DataProblem] = []
    if plausibility.price_range is not None:
        low, high = plausibility.price_range
        message = f"price outside the plausible range [{low:g}, {high:g}]"
        for column in _CHECKED_PRICES:
            outside = (prices[column] > 0) & ((prices[column] < low) | (prices[column] > high))
            problems += data.flag(checked & outside, message, column=column)
            if column in plausible:
                plausible[column] &= ~outside
    if plausibility.max_abs_log_return is not None:
        problems += _check_returns(
            data, checked & plausible["close"], plausible["adj_close"], plausibility, splits
        )
    return problems


def _check_returns(
    data: _Input,
    checked: np.ndarray,
    adjusted: np.ndarray,
    plausibility: Plausibility,
    splits: pd.DataFrame | None,
) -> list[DataProblem]:
    """|log(p_t / p_t-1)| beyond the bound between consecutive days of a symbol, on adj_close where both days
    have one and on close otherwise (times the day's split ratio, from ``splits``); the problem is on the later
    day, and says how to proceed (a split: adj_close or the splits file; else the plausibility settings). Rows
    with an implausible close are skipped, so the return runs from the day before them to the day after."""
    bound = plausibility.max_abs_log_return
    assert bound is not None
    in_order = data.order[checked[data.order]]  # no duplicates among them: sorted by symbol, then date
    same_symbol = data.symbol_ranks[in_order][1:] == data.symbol_ranks[in_order][:-1]
    later, before = in_order[1:][same_symbol], in_order[:-1][same_symbol]
    on_adjusted = adjusted[later] & adjusted[before]
    with np.errstate(divide="ignore", invalid="ignore"):  # only positive prices are used
        log_close, log_adjusted = np.log(data.numbers["close"]), np.log(data.numbers["adj_close"])
    ratios = (
        np.ones(len(later))
        if splits is None
        else split_ratios(splits, data.symbols[later], data.dates[later])
    )
    returns = np.where(
        on_adjusted,
        log_adjusted[later] - log_adjusted[before],
        log_close[later] + np.log(ratios) - log_close[before],
    )
    beyond = np.abs(returns) > bound
    previous = np.zeros(len(data.rows), dtype=np.int64)
    previous[later] = before
    size_of = np.zeros(len(data.rows))
    size_of[later] = returns
    message = f"daily log return beyond ±{bound:g}"
    folder = Path(data.origin).parent  # a files source's splits file lies beside its price files
    settings = (
        f"to store it anyway set FORGE_PLAUSIBILITY=flag, or raise the market_data resource's max_abs_log_return "
        f"(now {bound:g}; 0 turns the check off)"
    )
    problems: list[DataProblem] = []
    for column, used in (("close", ~on_adjusted), ("adj_close", on_adjusted)):
        mask = np.zeros(len(data.rows), dtype=bool)
        mask[later[beyond & used]] = True

        def detail(i: int, column: str = column) -> str:
            j = int(previous[i])
            ratio = suspected_ratio(float(size_of[i])) if column == "close" else None
            advice = split_advice(folder)
            split = f"; a {ratio_label(ratio)} split? {advice}" if ratio else ""
            way_out = split or (f"; if it is a split, {advice}" if column == "close" else "")
            return (
                f" ({size_of[i]:+.3g} from {column} {data.text(column, j)} in row {data.rows[j]}, "
                f"{data.date_text(j)}){way_out}; {settings}"
            )

        problems += data.flag(mask, message, column=column, detail=detail)
    return problems
