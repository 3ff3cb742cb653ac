"""Market data from a folder of CSV or Parquet files, validated file by file and across files.

CSV files are read by Arrow's CSV reader with every column as text (so a bad cell is reported as written),
then checked column by column (``forge_core.data.validation``). A file must be UTF-8 (a byte order mark is
allowed); anything else is refused with the line and column of the first byte that is not UTF-8. A file the
Arrow reader cannot take as a plain table (rows with fewer or more fields than the header, lines of only
spaces) is read again by pandas' CSV parser, which numbers and reports those rows as it always did.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from forge_core.data.schema import DataProblem, MarketDataError
from forge_core.data.splits import SPLITS_FILE, no_splits, read_splits, unheld_splits
from forge_core.data.validation import (
    DEFAULT_MAX_ABS_LOG_RETURN,
    DEFAULT_PRICE_RANGE,
    MAX_PROBLEMS_PER_CHECK,
    CheckedBars,
    Plausibility,
    PlausibilityMode,
    check_with,
)

_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIX = ".parquet"
_DECODE_CHUNK = 1 << 20  # bytes decoded at a time when checking that a file is UTF-8

# What a file that is not text most likely is, by its first bytes.
_SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed data (name the file .csv.gz)"),
    (b"PAR1", "a Parquet file (name it .parquet)"),
    (b"PK\x03\x04", "a ZIP archive, such as an Excel workbook (export the sheet as CSV)"),
    (codecs.BOM_UTF16_LE, "UTF-16 text (byte order mark FF FE; re-save it as UTF-8)"),
    (codecs.BOM_UTF16_BE, "UTF-16 text (byte order mark FE FF; re-save it as UTF-8)"),
)


class FileSource:
    """A folder of CSV (.csv, .csv.gz) or Parquet (.parquet) files with columns symbol, date, open, high,
    low, close, volume (adj_close optional); any number of symbols per file and files per folder, and optionally
    the splits of symbols without adj_close in ``splits.csv`` (``forge_core.data.splits``).

    ``max_abs_log_return``, ``price_range`` and ``plausibility_mode`` set the plausibility checks (see
    ``forge_core.data.validation.Plausibility``): in mode ``"refuse"`` (the default) an implausible row fails
    the load like any other problem; in mode ``"flag"`` it is loaded, and ``load_checked`` (or the ``flagged``
    attribute after ``load``) lists it.
    """

    name = "files"

    def __init__(
        self,
        path: str | Path,
        *,
        today: datetime.date | None = None,
        max_abs_log_return: float | None = DEFAULT_MAX_ABS_LOG_RETURN,
        price_range: tuple[float, float] | None = DEFAULT_PRICE_RANGE,
        plausibility_mode: PlausibilityMode = "refuse",
    ) -> None:
        self.path = Path(path)
        self.today = today
        self.plausibility = Plausibility(max_abs_log_return, price_range, plausibility_mode)
        self.flagged: tuple[DataProblem, ...] = ()  # of the last load: see load_checked

    def load(self, start: datetime.date, end: datetime.date) -> pd.DataFrame:
        """Canonical rows with ``start <= date <= end``; raises MarketDataError if any file has a problem.

        Every file is validated whole, not only the requested range, and no (symbol, date) may appear in
        more than one file.
        """
        return self.load_checked(start, end).bars

    def load_checked(self, start: datetime.date, end: datetime.date) -> CheckedBars:
        """``load``, with the implausible rows of the range accepted in mode ``"flag"``: ``flagged`` holds the
        problems of rows dated in [start, end] (and the per-check summaries of rows beyond the cap), also kept
        in ``self.flagged``."""
        self.flagged = ()
        frames: dict[str, pd.DataFrame] = {}
        flagged: list[DataProblem] = []
        problems: list[DataProblem] = []
        files = self.files()
        try:
            splits = read_splits(self.path)
        except MarketDataError as error:
            problems += error.problems
            splits = no_splits()
        for path in files:
            try:
                checked = _read_valid(path, self.today, self.plausibility, splits)
            except MarketDataError as error:
                problems += error.problems
            else:
                frames[str(path)] = checked.bars
                flagged += checked.flagged
        pa.default_memory_pool().release_unused()  # the text of every file, now free
        problems += _cross_file_duplicates(frames)
        if frames:
            data = (
                next(iter(frames.values()))  # already sorted by symbol and date
                if len(frames) == 1
                else pd.concat(frames.values(), ignore_index=True).sort_values(["symbol", "date"])
            )
            problems += unheld_splits(splits, data, str(self.path / SPLITS_FILE))
        if problems:
            raise MarketDataError(problems)
        inside = data["date"].between(pd.Timestamp(start), pd.Timestamp(end)).to_numpy()
        if not inside.all() or not data.index.equals(pd.RangeIndex(len(data))):
            data = data[inside].reset_index(drop=True)
        first, last = start.isoformat(), end.isoformat()
        self.flagged = tuple(p for p in flagged if p.date is None or first <= p.date <= last)
        dated = splits[splits["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
        return CheckedBars(data, self.flagged, dated.drop(columns="row").reset_index(drop=True))

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
            and path.name.lower() != SPLITS_FILE
            and path.name.lower().endswith((*_CSV_SUFFIXES, _PARQUET_SUFFIX))
        )
        if not found:
            raise MarketDataError([DataProblem(str(self.path), f"no CSV or Parquet files in {self.path}")])
        return found


def read_frame(path: Path) -> tuple[pd.DataFrame, int]:
    """Read one file as is: the raw frame (CSV cells as text) and the row number of its first record.

    CSV rows are numbered by their line in the file (header = line 1, so the first record is 2); blank
    lines are kept so the numbers stay true, except trailing ones. Parquet records are numbered from 1.
    Raises MarketDataError if a CSV file is not UTF-8 text.
    """
    if path.name.lower().endswith(_PARQUET_SUFFIX):
        return pd.read_parquet(path), 1
    compressed = path.name.lower().endswith(".gz")
    content = gzip.decompress(path.read_bytes()) if compressed else path.read_bytes()
    start = len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) else 0
    _check_utf8(content, start, str(path), compressed=compressed)
    header_end = content.find(b"\n", start)
    header = content[start : len(content) if header_end < 0 else header_end].decode("utf-8").rstrip("\r")
    if not header.strip():  # no header on the first line: pandas finds it, or says the file is empty
        return _read_csv_pandas(content[start:]), 2
    quoted = b'"' in content
    # A plain file is read again from disk by Arrow, so its bytes need not be held while the table is built.
    source = pa.BufferReader(pa.py_buffer(content)) if compressed else None
    del content
    try:
        frame = _read_csv_arrow(source or str(path), next(csv.reader([header])), quoted=quoted)
    except pa.ArrowInvalid:
        content = gzip.decompress(path.read_bytes()) if compressed else path.read_bytes()
        frame = _read_csv_pandas(content[start:])
    return frame, 2


def _read_csv_arrow(source: Any, names: list[str], *, quoted: bool) -> pd.DataFrame:
    """Every column as Arrow text, blank lines kept as rows of empty cells (trailing ones dropped); the
    header line (its BOM included) is skipped and ``names`` used instead, as Arrow may not repeat a name."""
    positions = [str(i) for i in range(len(names))]
    table = pa_csv.read_csv(
        source,
        read_options=pa_csv.ReadOptions(column_names=positions, skip_rows=1),
        parse_options=pa_csv.ParseOptions(ignore_empty_lines=False, newlines_in_values=quoted),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(positions, pa.string()), strings_can_be_null=False
        ),
    )
    size = table.num_rows
    while size and all(not str(column[size - 1].as_py()).strip() for column in table.columns):
        size -= 1
    frame = table.slice(0, size).to_pandas(types_mapper=pd.ArrowDtype)
    pa.default_memory_pool().release_unused()  # the reader's buffers: a file's worth of memory, now free
    frame.columns = [name or f"Unnamed: {i}" for i, name in enumerate(names)]
    return frame


def _read_csv_pandas(content: bytes) -> pd.DataFrame:
    """pandas' CSV parser, for the files Arrow's reader refuses: short rows get missing cells, lines of
    spaces are rows, and a row with too many fields is an error naming its line."""
    try:
        frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    blank = (frame.isna() | frame.apply(lambda column: column.str.strip().eq(""))).all(axis=1)
    filled = np.flatnonzero(~blank.to_numpy())
    return frame.iloc[: filled[-1] + 1 if len(filled) else 0]


def _check_utf8(content: bytes, start: int, origin: str, *, compressed: bool) -> None:
    """Raise MarketDataError naming the line and column of the first byte that is not UTF-8 text; a file
    holding a NUL byte is called binary, and what it looks like is named when its first bytes say so."""
    nul = content.find(b"\x00", start)
    end = len(content) if nul < 0 else nul
    position = end if nul < 0 and content.isascii() else start
    while position < end:
        stop = content.find(b"\n", position + _DECODE_CHUNK, end)  # chunks end at a newline
        stop = end if stop < 0 else stop
        try:
            codecs.decode(content[position:stop], "utf-8")
        except UnicodeDecodeError as error:
            end = position + error.start
            break
        position = stop
    if end < len(content):
        raise MarketDataError([_encoding_problem(content, start, end, origin, compressed, binary=nul >= 0)])


def _encoding_problem(
    content: bytes, start: int, bad: int, origin: str, compressed: bool, *, binary: bool
) -> DataProblem:
    line_start = content.rfind(b"\n", start, bad) + 1 or start
    line = content.count(b"\n", start, bad) + 1
    before = content[line_start:bad].decode("utf-8", errors="replace")
    where = (
        f"line {line}, column {len(before) + 1} (1-based, counting characters; byte {bad + 1} of the "
        f"{'decompressed ' if compressed else ''}file)"
    )
    kind = "a NUL byte" if content[bad] == 0 else f"byte 0x{content[bad]:02X}"
    if binary:
        message = f"binary content, not CSV text: {kind} at {where}"
    else:
        message = f"not UTF-8 text: {kind} at {where} is not valid UTF-8"
    looks = next((what for magic, what in _SIGNATURES if content.startswith(magic)), None)
    if looks:
        message += f"; the file looks like {looks}"
    elif not binary:
        message += " (Latin-1 or Windows-1252 text?)"
    if before:
        message += f"; it follows {before[-20:]!r}"
    message += "; expected UTF-8 (a UTF-8 byte order mark is fine): re-save the file as UTF-8 CSV"
    return DataProblem(origin, message, row=line)


def _read_valid(
    path: Path, today: datetime.date | None, plausibility: Plausibility, splits: pd.DataFrame
) -> CheckedBars:
    try:
        frame, first_row_number = read_frame(path)
    except MarketDataError:
        raise
    except (OSError, ValueError) as error:
        raise MarketDataError([DataProblem(str(path), f"cannot read file: {error}")]) from error
    return check_with(
        frame, str(path), plausibility, today=today, first_row_number=first_row_number, splits=splits
    )


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
