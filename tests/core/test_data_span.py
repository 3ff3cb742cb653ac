"""A source's data span: the traded symbols' first and last day, live when it reaches the last few weekdays; a files
folder read for its symbol and date columns only, each file once while it is unchanged."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pandas as pd
import pytest

from forge_core.data import span as span_module
from forge_core.data.schema import MarketDataError
from forge_core.data.span import DataSpan, bundled_span, files_span, source_span
from forge_core.data.synthetic import SyntheticSource


def write_bars(folder: Path, first: dt.date, last: dt.date, symbols: int = 1, seed: int = 3) -> None:
    """One CSV per symbol (the synthetic market's VIX included) from ``first`` through ``last``."""
    folder.mkdir(parents=True, exist_ok=True)
    bars = SyntheticSource(symbols, seed=seed, start=first, today=last).load(first, last)
    for symbol, rows in bars.groupby("symbol"):
        rows = rows.drop(columns="adj_close").assign(date=rows["date"].dt.strftime("%Y-%m-%d"))
        rows.to_csv(folder / f"{str(symbol).strip('^')}.csv", index=False)


def test_the_bundled_span_is_the_indices_not_the_vix() -> None:
    assert bundled_span() == DataSpan(
        dt.date(1999, 1, 4), dt.date(2018, 12, 31)
    )  # the VIX runs to 2019-01-03


def test_the_synthetic_market_is_live_from_its_start() -> None:
    assert source_span("synthetic", synthetic_start=dt.date(2020, 3, 2)) == DataSpan(
        dt.date(2020, 3, 2), None
    )


def test_a_folder_spans_its_traded_symbols_and_a_recent_end_is_live(tmp_path: Path) -> None:
    write_bars(tmp_path / "bars", dt.date(2010, 1, 4), dt.date(2013, 3, 15))
    longer = SyntheticSource(1, seed=3, start=dt.date(2009, 6, 1), today=dt.date(2013, 6, 28))
    bars = longer.load(dt.date(2009, 6, 1), dt.date(2013, 6, 28))
    bars[bars["symbol"] == "^VIX"].to_csv(tmp_path / "bars" / "VIX.csv", index=False)  # a longer VIX
    today = dt.date(2024, 5, 8)  # a Wednesday
    assert files_span(tmp_path / "bars", today) == DataSpan(dt.date(2010, 1, 4), dt.date(2013, 3, 15))

    (tmp_path / "bars" / "SYN000.csv").unlink()  # only the VIX left: it is the span
    assert files_span(tmp_path / "bars", today) == DataSpan(dt.date(2009, 6, 1), dt.date(2013, 6, 28))
    # a last day within five weekdays of today: a live feed, no fixed end
    assert files_span(tmp_path / "bars", dt.date(2013, 7, 5)).last is None
    assert files_span(tmp_path / "bars", dt.date(2013, 7, 8)).last == dt.date(2013, 6, 28)


def test_each_file_is_read_once_while_it_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bars"
    write_bars(folder, dt.date(2012, 1, 2), dt.date(2013, 3, 15), symbols=2)
    read: list[str] = []
    real = span_module._file_days

    def counted(path: Path) -> span_module._Days:
        read.append(path.name)
        return real(path)

    monkeypatch.setattr(span_module, "_file_days", counted)
    first = files_span(folder)
    assert sorted(read) == ["SYN000.csv", "SYN001.csv", "VIX.csv"]
    assert (tmp_path / "forge_home" / "cache" / "file_spans.json").is_file()  # under FORGE_HOME

    read.clear()
    assert files_span(folder) == first and read == []
    write_bars(folder, dt.date(2012, 1, 2), dt.date(2013, 3, 29), symbols=2)  # every file grows
    read.clear()
    assert files_span(folder).last == dt.date(2013, 3, 29)
    assert sorted(read) == ["SYN000.csv", "SYN001.csv", "VIX.csv"]


def test_headers_compression_parquet_and_unreadable_files(tmp_path: Path) -> None:
    folder = tmp_path / "bars"
    folder.mkdir()
    header = "\ufeffDate,Symbol,Open,High,Low,Close,Volume\n"  # a byte order mark, names as people write them
    (folder / "a.csv.gz").write_bytes(gzip.compress((header + "2011-02-01,AAA,1,1,1,1,0\n").encode()))
    frame = pd.DataFrame({"symbol": ["BBB"], "date": [pd.Timestamp("2012-07-02")], "close": [1.0]})
    frame.to_parquet(folder / "b.parquet")
    (folder / "c.csv").write_bytes(b"symbol,date\nCCC,2001-01-01\n\xff\xfe\n")  # not UTF-8: its load says so
    (folder / "d.csv").write_text("ticker,day\nDDD,2000-01-03\n")  # no symbol and date columns
    assert files_span(folder, dt.date(2024, 1, 3)) == DataSpan(dt.date(2011, 2, 1), dt.date(2012, 7, 2))


def test_a_folder_without_dated_rows_or_without_a_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MarketDataError, match="folder does not exist"):
        files_span(tmp_path / "missing")
    (tmp_path / "empty.csv").write_text("symbol,date,open\n")
    with pytest.raises(MarketDataError, match="no file has a row with a readable symbol and date"):
        files_span(tmp_path)
    with pytest.raises(ValueError, match="needs a folder: set FORGE_FILES_PATH"):
        source_span("files", synthetic_start=dt.date(2000, 1, 3))
