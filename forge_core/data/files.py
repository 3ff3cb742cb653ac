"""Market data from a folder of CSV or Parquet files, validated file by file and across files."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from forge_core.data.schema import DataProblem, MarketDataError
from forge_core.data.validation import MAX_PROBLEMS_PER_CHECK, validate_ohlcv

_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIX = ".parquet"


class FileSource:
    """A folder of CSV (.csv, .csv.gz) or Parquet (.parquet) files with columns symbol, date, open, high,
    low, close, volume (adj_close optional); any number of symbols per file and files per folder."""

    name = "files"

    def __init__(self, path: str | Path, *, today: datetime.date | None = None) -> None:
        self.path = Path(path)
        self.today = today

    def load(self, start: datetime.date, end: datetime.date) -> pd.DataFrame:
        """Canonical rows with ``start <= date <= end``; raises MarketDataError if any file has a problem.

        Every file is validated whole, not only the requested range, and no (symbol, date) may appear in
        more than one file.
        """
        frames: dict[str, pd.DataFrame] = {}
        problems: list[DataProblem] = []
        for path in self.files():
            try:
                frames[str(path)] = _read_valid(path, self.today)
            except MarketDataError as error:
                problems += error.problems
        problems += _cross_file_duplicates(frames)
        if problems:
            raise MarketDataError(problems)
        data = pd.concat(frames.values(), ignore_index=True)
        data = data[data["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
        return data.sort_values(["symbol", "date"]).reset_index(drop=True)

    def files(self) -> list[Path]:
        """The folder's CSV and Parquet files, sorted by name (hidden files and subfolders left out)."""
        if not self.path.is_dir():
            message = "not a folder" if self.path.exists() else "folder does not exist"
            raise MarketDataError([DataProblem(str(self.path), message)])
        found = sorted(
            path
            for path in self.path.iterdir()
            if path.is_file()
            and not path.name.startswith(".")
            and path.name.lower().endswith((*_CSV_SUFFIXES, _PARQUET_SUFFIX))
        )
        if not found:
            raise MarketDataError([DataProblem(str(self.path), f"no CSV or Parquet files in {self.path}")])
        return found


def read_frame(path: Path) -> tuple[pd.DataFrame, int]:
    """Read one file as is: the raw frame (CSV cells as text) and the row number of its first record.

    CSV rows are numbered by their line in the file (header = line 1, so the first record is 2); blank
    lines are kept so the numbers stay true, except trailing ones. Parquet records are numbered from 1.
    """
    if path.name.lower().endswith(_PARQUET_SUFFIX):
        return pd.read_parquet(path), 1
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), 2
    blank = (frame.isna() | frame.apply(lambda column: column.str.strip().eq(""))).all(axis=1)
    filled = np.flatnonzero(~blank.to_numpy())
    return frame.iloc[: filled[-1] + 1 if len(filled) else 0], 2


def _read_valid(path: Path, today: datetime.date | None) -> pd.DataFrame:
    try:
        frame, first_row_number = read_frame(path)
    except (OSError, ValueError) as error:
        raise MarketDataError([DataProblem(str(path), f"cannot read file: {error}")]) from error
    return validate_ohlcv(frame, str(path), today=today, first_row_number=first_row_number)


def _cross_file_duplicates(frames: dict[str, pd.DataFrame]) -> list[DataProblem]:
    """Rows whose (symbol, date) is already in an earlier file; the problem names both files."""
    if len(frames) < 2:
        return []
    keys = pd.concat(
        [frame[["symbol", "date"]].assign(origin=origin) for origin, frame in frames.items()],
        ignore_index=True,
    )
    duplicate = keys.duplicated(["symbol", "date"])
    keys["first"] = keys.groupby(["symbol", "date"])["origin"].transform("first")
    problems = [
        DataProblem(
            row.origin,
            f"symbol and date also in {row.first}",
            symbol=row.symbol,
            date=row.date.date().isoformat(),
        )
        for row in keys[duplicate].head(MAX_PROBLEMS_PER_CHECK).itertuples()
    ]
    unlisted = keys.loc[duplicate, "origin"].iloc[len(problems) :]
    if len(unlisted):
        message = f"symbol and date also in an earlier file: {len(unlisted)} more rows"
        problems.append(DataProblem(unlisted.iloc[0], message))
    return problems
