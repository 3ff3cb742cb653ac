"""The days a market data source holds: what the partitions follow when FORGE_START_DATE / FORGE_END_DATE are unset.

A span runs from the first day a traded symbol has a bar through the last. Volatility indices (``VIX_SYMBOLS``)
feed the traded symbols' features and are never forecast, so they count only in a source that holds nothing else
(the bundled VIX runs to 2019-01-03, the indices to 2018-12-31: the span ends 2018-12-31).

A span whose last day is at most ``LIVE_WEEKDAYS`` weekdays before today is a live feed: it has no fixed last day
(``last`` is None), and what follows it runs through today and grows with it. The synthetic market is always live.

A files folder is read for its symbol and date columns only, and each file's span is cached under FORGE_HOME
(``cache/file_spans.json``) by its path, size and modification time, so a definitions load reads only new or
changed files. A file that cannot be read is left out: loading it reports its problems.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from forge_core.data.bundled import BundledSource
from forge_core.data.files import FileSource
from forge_core.data.schema import VIX_SYMBOLS, DataProblem, MarketDataError
from forge_core.settings import forge_home

LIVE_WEEKDAYS = 5  # a last day at most this many weekdays before today: a live feed
_KEY_COLUMNS = ("symbol", "date")


@dataclass(frozen=True)
class DataSpan:
    """The first and last day of a source's traded symbols; ``last`` None: a live feed, through today."""

    first: dt.date
    last: dt.date | None


@dataclass(frozen=True)
class _Days:
    """First and last day of the traded symbols and of every symbol (None: no dated rows of that kind)."""

    traded: tuple[dt.date, dt.date] | None
    every: tuple[dt.date, dt.date] | None

    @classmethod
    def of(cls, symbols: pd.Series, dates: pd.Series) -> _Days:
        dated = dates.notna().to_numpy()
        traded = dated & ~symbols.isin(VIX_SYMBOLS).to_numpy()
        return cls(_first_last(dates[traded]), _first_last(dates[dated]))

    @classmethod
    def merge(cls, parts: list[_Days]) -> _Days:
        def widest(spans: list[tuple[dt.date, dt.date] | None]) -> tuple[dt.date, dt.date] | None:
            found = [span for span in spans if span is not None]
            return (min(s[0] for s in found), max(s[1] for s in found)) if found else None

        return cls(widest([p.traded for p in parts]), widest([p.every for p in parts]))

    def span(self, today: dt.date) -> DataSpan | None:
        days = self.traded or self.every
        if days is None:
            return None
        first, last = days
        return DataSpan(first, None if np.busday_count(last, today) <= LIVE_WEEKDAYS else last)


def _first_last(dates: pd.Series) -> tuple[dt.date, dt.date] | None:
    return (dates.min().date(), dates.max().date()) if len(dates) else None


def bundled_span(today: dt.date | None = None) -> DataSpan:
    """The bundled data's span: 1999-01-04 .. 2018-12-31 (S&P 500 and NASDAQ)."""
    bars = BundledSource().load(dt.date.min, dt.date.max)
    span = _Days.of(bars["symbol"], bars["date"]).span(today or dt.date.today())
    assert span is not None  # the bundled data is never empty
    return span


def synthetic_span(start: dt.date) -> DataSpan:
    """The synthetic market's span: from ``start``, live (it makes a bar for every weekday through today)."""
    return DataSpan(start, None)


def files_span(folder: str | Path, today: dt.date | None = None, cache: Path | None = None) -> DataSpan:
    """The span of a folder of CSV / Parquet files (``FileSource``), reading only new or changed files (``cache``,
    default under FORGE_HOME). Raises MarketDataError when the folder is missing or no file has a dated row."""
    files = FileSource(folder).files()
    cache = cache or forge_home() / "cache" / "file_spans.json"
    known = _read_cache(cache)
    entries: dict[str, dict[str, Any]] = {}
    for path in files:
        stat = path.stat()
        key = str(path.resolve())
        entry = known.get(key)
        if entry is None or (entry["size"], entry["mtime_ns"]) != (stat.st_size, stat.st_mtime_ns):
            days = _file_days(path)
            entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, **_days_json(days)}
        entries[key] = entry
    if entries != {key: known.get(key) for key in entries}:
        _write_cache(cache, {**known, **entries})
    span = _Days.merge([_days_of_json(entry) for entry in entries.values()]).span(today or dt.date.today())
    if span is None:
        raise MarketDataError([DataProblem(str(folder), "no file has a row with a readable symbol and date")])
    return span


def source_span(
    kind: str, *, files_path: str = "", synthetic_start: dt.date, today: dt.date | None = None
) -> DataSpan:
    """The span of the source ``kind`` (``bundled``, ``files`` or ``synthetic``), as configured; ValueError (a
    MarketDataError for a folder) when it cannot be known."""
    if kind == "bundled":
        return bundled_span(today)
    if kind == "files":
        if not files_path:
            raise ValueError("market data source 'files' needs a folder: set FORGE_FILES_PATH")
        return files_span(files_path, today)
    if kind == "synthetic":
        return synthetic_span(synthetic_start)
    raise ValueError(f"unknown market data source {kind!r}")


def _file_days(path: Path) -> _Days:
    """The days of one file's symbol and date columns; none when it cannot be read (its load says why)."""
    try:
        columns = _parquet_keys(path) if path.name.lower().endswith(".parquet") else _csv_keys(path)
    except (OSError, ValueError, pa.ArrowException, csv.Error):
        return _Days(None, None)
    if columns is None:
        return _Days(None, None)
    symbols, raw = columns
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raw = raw.dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(raw.dtype):  # text, or Parquet dates as date objects
        raw = pd.to_datetime(raw.astype(str).str.strip(), format="ISO8601", errors="coerce")
    return _Days.of(symbols.astype(str).str.strip(), raw.dt.normalize())


def _positions(names: list[str]) -> dict[str, int] | None:
    """Where the symbol and date columns are, named as validation names them (case and spaces aside)."""
    normal = [str(name).strip().lower().replace(" ", "_") for name in names]
    if not all(column in normal for column in _KEY_COLUMNS):
        return None
    return {column: normal.index(column) for column in _KEY_COLUMNS}


def _parquet_keys(path: Path) -> tuple[pd.Series, pd.Series] | None:
    names = pq.read_schema(path).names
    found = _positions(names)
    if found is None:
        return None
    table = pq.read_table(path, columns=[names[found[c]] for c in _KEY_COLUMNS]).to_pandas()
    return table.iloc[:, 0], table.iloc[:, 1]


def _csv_keys(path: Path) -> tuple[pd.Series, pd.Series] | None:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as text:
        header = next(csv.reader(text), [])
    found = _positions(header)
    if found is None:
        return None
    names = [str(i) for i in range(len(header))]
    wanted = [names[found[c]] for c in _KEY_COLUMNS]
    table = pa_csv.read_csv(
        str(path),  # Arrow decompresses a .gz path itself
        read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=pa_csv.ParseOptions(invalid_row_handler=lambda row: "skip"),
        convert_options=pa_csv.ConvertOptions(
            include_columns=wanted, column_types=dict.fromkeys(wanted, pa.string())
        ),
    ).to_pandas()
    return table[wanted[0]], table[wanted[1]]


def _days_json(days: _Days) -> dict[str, list[str] | None]:
    def text(span: tuple[dt.date, dt.date] | None) -> list[str] | None:
        return None if span is None else [span[0].isoformat(), span[1].isoformat()]

    return {"traded": text(days.traded), "every": text(days.every)}


def _days_of_json(entry: dict[str, Any]) -> _Days:
    def span(value: list[str] | None) -> tuple[dt.date, dt.date] | None:
        return None if value is None else (dt.date.fromisoformat(value[0]), dt.date.fromisoformat(value[1]))

    return _Days(span(entry["traded"]), span(entry["every"]))


def _read_cache(cache: Path) -> dict[str, dict[str, Any]]:
    """The cached file spans; the entries that cannot be read are left out (their files are read again)."""
    try:
        found = json.loads(cache.read_text())
    except (OSError, ValueError):
        return {}
    fields = {"size", "mtime_ns", "traded", "every"}
    if not isinstance(found, dict):
        return {}
    return {key: entry for key, entry in found.items() if isinstance(entry, dict) and set(entry) == fields}


def _write_cache(cache: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Replace the cache in one step; a state folder that cannot be written only costs the next load a re-read."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(entries, indent=0, sort_keys=True))
        partial.replace(cache)
    except OSError:
        pass
