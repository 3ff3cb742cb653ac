"""Quote files: a folder of CSV and Parquet files loads back the quotes written into it; a bad row is named with its
file and row, a contract in two files with both files, an empty folder as such."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from forge_core.data.schema import MarketDataError
from forge_core.data.synthetic import SyntheticSource
from forge_core.options.quote_files import load_option_quotes, load_quote_summaries
from forge_core.options.quote_validation import QUOTE_KEY
from forge_core.options.synthetic_chains import option_chains, quote_summaries

START, END = dt.date(2016, 3, 1), dt.date(2016, 3, 31)


@pytest.fixture(scope="module")
def source() -> SyntheticSource:
    return SyntheticSource(2, seed=5, start=dt.date(2015, 1, 2), today=END)


def test_a_folder_loads_back_what_was_written(tmp_path: Path, source: SyntheticSource) -> None:
    quotes = option_chains(source, START, END)
    (tmp_path / "options").mkdir()
    quotes[quotes["symbol"] == "SYN000"].to_csv(tmp_path / "options" / "syn000.csv", index=False)
    quotes[quotes["symbol"] == "SYN001"].to_parquet(tmp_path / "options" / "syn001.parquet")
    loaded = load_option_quotes(tmp_path, dt.date(2016, 3, 10), END)
    expected = quotes[quotes["date"] >= "2016-03-10"].sort_values(list(QUOTE_KEY), ignore_index=True)
    pd.testing.assert_frame_equal(
        loaded.sort_values(list(QUOTE_KEY), ignore_index=True), expected, rtol=1e-12
    )
    summaries = quote_summaries(source, START, END)
    (tmp_path / "quotes").mkdir()
    summaries.to_csv(tmp_path / "quotes" / "all.csv.gz", index=False)
    pd.testing.assert_frame_equal(load_quote_summaries(tmp_path, START, END), summaries, rtol=1e-12)


def test_bad_rows_and_repeats_name_their_files(tmp_path: Path, source: SyntheticSource) -> None:
    quotes = option_chains(source, START, END)
    (tmp_path / "options").mkdir()
    with pytest.raises(MarketDataError, match="no option quote files"):
        load_option_quotes(tmp_path, START, END)
    bad = quotes.head(20).astype(str)
    bad.loc[4, "strike"] = "0"
    bad.to_csv(tmp_path / "options" / "bad.csv", index=False)
    with pytest.raises(MarketDataError, match=r"bad\.csv, row 6, symbol SYN000.*strike must be > 0"):
        load_option_quotes(tmp_path, START, END)
    quotes.head(20).to_csv(tmp_path / "options" / "bad.csv", index=False)
    quotes.head(3).to_csv(tmp_path / "options" / "again.csv", index=False)
    with pytest.raises(MarketDataError, match=r"the same option quote is in again\.csv, bad\.csv"):
        load_option_quotes(tmp_path, START, END)
