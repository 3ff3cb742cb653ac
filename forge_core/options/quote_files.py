"""Option quotes and quote summaries from the files source: ``<folder>/options/`` and ``<folder>/quotes/``, each a
set of CSV (.csv, .csv.gz) or Parquet files, validated file by file and across files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from forge_core.data.schema import DataProblem, MarketDataError
from forge_core.options.quote_validation import (
    QUOTE_KEY,
    validate_option_quotes,
    validate_quote_summaries,
)

OPTIONS_FOLDER, QUOTES_FOLDER = "options", "quotes"
Validator = Callable[[pd.DataFrame, str, int], pd.DataFrame]


def _read(path: Path) -> tuple[pd.DataFrame, int]:
    """A file's cells as written (text), and the row number a user sees for its first row."""
    if path.name.endswith(".parquet"):
        return pd.read_parquet(path).astype("string"), 1
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[]), 2


def read_folder(folder: Path, validate: Validator, key: tuple[str, ...], what: str) -> pd.DataFrame:
    """Every file of ``folder`` validated (``validate``), joined; MarketDataError naming every problem, a folder
    without files, and a ``key`` present in two files (with both files)."""
    files = sorted(p for p in folder.glob("*") if p.name.endswith((".csv", ".csv.gz", ".parquet")))
    if not files:
        raise MarketDataError([DataProblem(str(folder), f"no {what} files (.csv, .csv.gz, .parquet)")])
    frames, problems = [], []
    for path in files:
        frame, first = _read(path)
        try:
            frames.append(validate(frame, str(path), first).assign(_file=path.name))
        except MarketDataError as error:
            problems.extend(error.problems)
    if problems:
        raise MarketDataError(problems)
    joined = pd.concat(frames, ignore_index=True)
    twice = joined[joined.duplicated(list(key), keep=False)]
    for _, rows in twice.groupby(list(key), sort=True):
        first = rows.iloc[0]
        problems.append(
            DataProblem(
                str(folder),
                f"the same {what} is in {', '.join(sorted(set(rows['_file'])))}",
                symbol=str(first["symbol"]),
                date=str(pd.Timestamp(first["date"]).date()),
            )
        )
    if problems:
        raise MarketDataError(problems)
    return joined.drop(columns="_file")


def load_option_quotes(folder: str | Path, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The validated option quotes of ``<folder>/options`` dated ``start .. end`` (inclusive)."""
    quotes = read_folder(Path(folder) / OPTIONS_FOLDER, validate_option_quotes, QUOTE_KEY, "option quote")
    return quotes[quotes["date"].between(pd.Timestamp(start), pd.Timestamp(end))].reset_index(drop=True)


def load_quote_summaries(folder: str | Path, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The validated quote summaries of ``<folder>/quotes`` dated ``start .. end`` (inclusive)."""
    summaries = read_folder(
        Path(folder) / QUOTES_FOLDER, validate_quote_summaries, ("symbol", "date"), "quote summary"
    )
    return summaries[summaries["date"].between(pd.Timestamp(start), pd.Timestamp(end))].reset_index(drop=True)
