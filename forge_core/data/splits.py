"""Stock splits: the files source's ``splits.csv``, validated, and the split-like jumps of unadjusted prices.

A splits file lies beside the price files, named ``splits.csv``, with one row per split::

    symbol,date,ratio
    AAPL,2014-06-09,7:1
    XYZ,2020-05-04,1:10

``ratio`` is ``new:old`` shares (``2:1`` doubles the shares and halves the price) or the same as one positive
number (``2``, ``0.1``). On ``date`` the features divide the close-to-open move by the ratio, for symbols whose bars
carry no ``adj_close`` (an ``adj_close`` already holds every split and dividend, and is used instead).

Without either, an overnight move close to ln(1/ratio) for a common ratio is reported as a suspected split
(``suspected_ratio``), and a refused implausible return names the same ways out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from forge_core.data.schema import DataProblem, MarketDataError

SPLITS_FILE = "splits.csv"
SPLIT_COLUMNS: tuple[str, ...] = ("symbol", "date", "ratio")
# Forward and reverse splits seen in practice (new shares per old share).
COMMON_RATIOS: tuple[Fraction, ...] = tuple(
    sorted(
        {
            Fraction(new, old)
            for new, old in [
                (3, 2),
                (2, 1),
                (5, 2),
                (3, 1),
                (4, 1),
                (5, 1),
                (7, 1),
                (8, 1),
                (10, 1),
                (15, 1),
                (20, 1),
            ]
        }
        | {
            Fraction(old, new)
            for new, old in [(3, 2), (2, 1), (3, 1), (4, 1), (5, 1), (8, 1), (10, 1), (15, 1), (20, 1)]
        }
    )
)
# |ln(open_t / close_{t-1}) + ln(ratio)| below this matches a ratio: a day's real overnight move rarely exceeds 4%.
MATCH_TOLERANCE = 0.04
# Smallest |overnight move| worth matching: just inside the mildest common ratio (3:2, ln 1.5 = 0.405).
MIN_SPLIT_MOVE = math.log(1.5) - MATCH_TOLERANCE
# A ratio beyond these is not a split anyone has made: a typo (a date in the ratio column, 2000 for 2:1).
RATIO_BOUNDS = (1 / 1000, 1000.0)

_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)\s*$")


def ratio_label(ratio: float) -> str:
    """``2:1`` for 2, ``1:10`` for 0.1, ``3:2`` for 1.5."""
    fraction = Fraction(ratio).limit_denominator(1000)
    return f"{fraction.numerator}:{fraction.denominator}"


def suspected_ratio(overnight_move: float) -> float | None:
    """The common split ratio whose price change ln(1/ratio) lies within MATCH_TOLERANCE of ``overnight_move``
    (ln(open_t / close_{t-1})), or None."""
    if not math.isfinite(overnight_move) or abs(overnight_move) < MIN_SPLIT_MOVE:
        return None
    best = min(COMMON_RATIOS, key=lambda ratio: abs(overnight_move + math.log(ratio)))
    return float(best) if abs(overnight_move + math.log(best)) < MATCH_TOLERANCE else None


def split_advice(folder: str | Path | None = None) -> str:
    """How to proceed when prices jump across a split: the sentence every split report ends with."""
    where = Path(folder) / SPLITS_FILE if folder else SPLITS_FILE
    return (
        f"supply an adj_close column, or list the split in {where} (columns {', '.join(SPLIT_COLUMNS)}; ratio as "
        "new:old shares, e.g. 2:1), which the features then apply"
    )


def no_splits() -> pd.DataFrame:
    """An empty splits frame."""
    return pd.DataFrame(
        {
            "symbol": pd.Series(dtype=object),
            "date": pd.Series(dtype="datetime64[ns]"),
            "ratio": pd.Series(dtype=float),
            "row": pd.Series(dtype="int64"),
        }
    )


@dataclass(frozen=True)
class _Row:
    number: int
    symbol: str
    date: str
    ratio: str


def read_splits(folder: Path) -> pd.DataFrame:
    """The validated splits of ``folder/splits.csv`` (an empty frame when there is none): ``symbol``, ``date``
    (datetime64), ``ratio`` (float) and the file's ``row``, sorted. Raises MarketDataError naming file, row,
    symbol, date and value of every problem; ``unheld_splits`` checks them against the prices."""
    path = folder / SPLITS_FILE
    if not path.is_file():
        return no_splits()
    origin = str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as error:
        raise MarketDataError([DataProblem(origin, f"cannot read the splits file: {error}")]) from None
    names = [str(name).strip().lower().replace(" ", "_") for name in raw.columns]
    missing = [column for column in SPLIT_COLUMNS if column not in names]
    if missing:
        found = ", ".join(names) or "none"
        raise MarketDataError(
            [DataProblem(origin, f"missing columns {missing}; need {list(SPLIT_COLUMNS)} (found: {found})")]
        )
    raw.columns = names
    rows = [
        _Row(number, symbol.strip(), date.strip(), ratio.strip())
        for number, (symbol, date, ratio) in enumerate(
            zip(raw["symbol"], raw["date"], raw["ratio"], strict=True), start=2
        )
    ]
    problems, parsed = _parse(rows, origin)
    if problems:
        raise MarketDataError(problems)
    if not parsed:
        return no_splits()
    frame = pd.DataFrame(
        {
            "symbol": [row.symbol for row, _, _ in parsed],
            "date": pd.to_datetime([date for _, date, _ in parsed]),
            "ratio": [ratio for _, _, ratio in parsed],
            "row": [row.number for row, _, _ in parsed],
        }
    )
    return frame.sort_values(["symbol", "date"]).reset_index(drop=True)


def _parse(rows: Sequence[_Row], origin: str) -> tuple[list[DataProblem], list[tuple[_Row, str, float]]]:
    problems: list[DataProblem] = []
    parsed: list[tuple[_Row, str, float]] = []
    seen: dict[tuple[str, str], int] = {}
    low, high = RATIO_BOUNDS
    for row in rows:
        found: tuple[str, str | None, str | None]
        date = _date(row.date)
        ratio = _ratio(row.ratio)
        first = seen.setdefault((row.symbol, date or ""), row.number)
        if not row.symbol:
            found = ("blank symbol", "symbol", None)
        elif date is None:
            found = ("not a date as YYYY-MM-DD", "date", row.date)
        elif ratio is None:
            found = (
                "not a split ratio: write new:old shares (2:1, 1:10) or one positive number",
                "ratio",
                row.ratio,
            )
        elif not low <= ratio <= high or ratio == 1:
            bounds = f"{ratio_label(low)} .. {ratio_label(high)}"
            found = (
                f"implausible split ratio (a split changes the share count, within {bounds})",
                "ratio",
                row.ratio,
            )
        elif first != row.number:
            found = (f"split listed again (first in row {first})", None, None)
        else:
            assert date is not None and ratio is not None
            parsed.append((row, date, ratio))
            continue
        message, column, value = found
        problems.append(
            DataProblem(
                origin,
                message,
                row=row.number,
                symbol=row.symbol or None,
                date=date,
                column=column,
                value=value,
            )
        )
    return problems, parsed


def _date(text: str) -> str | None:
    """An ISO date ``YYYY-MM-DD`` that exists, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _ratio(text: str) -> float | None:
    matched = _RATIO.match(text)
    try:
        value = float(matched.group(1)) / float(matched.group(2)) if matched else float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def unheld_splits(splits: pd.DataFrame, bars: pd.DataFrame, origin: str) -> list[DataProblem]:
    """Splits (``read_splits``) of a symbol the price files do not hold, or on a day that is not one of its
    trading days in ``bars``."""
    if splits.empty:
        return []
    known = splits["symbol"].isin(bars["symbol"].unique()).to_numpy()
    traded = splits.merge(bars[["symbol", "date"]], on=["symbol", "date"], how="left", indicator=True)
    on_a_day = (traded["_merge"] == "both").to_numpy()
    return [
        DataProblem(
            origin,
            "not a trading day of the symbol in the price files"
            if known[i]
            else "unknown symbol: no price file holds it",
            row=int(row.row),
            symbol=str(row.symbol),
            date=row.date.date().isoformat(),
        )
        for i, row in enumerate(splits.itertuples())
        if not (known[i] and on_a_day[i])
    ]


def split_ratios(splits: pd.DataFrame, symbols: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """The split ratio of each (symbol, date) pair, 1 where none."""
    if splits.empty:
        return np.ones(len(symbols))
    keys = pd.DataFrame({"symbol": symbols, "date": dates})
    found = keys.merge(splits, on=["symbol", "date"], how="left")["ratio"].to_numpy(dtype=float)
    ratios: np.ndarray = np.nan_to_num(found, nan=1.0)
    return ratios
