"""The Arrow CSV path: the same frames, problems and line numbers as pandas' CSV parser, and its fallbacks."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forge_core.data.files import FileSource, read_frame
from forge_core.data.schema import DataProblem, MarketDataError
from forge_core.data.sources import make_source
from forge_core.data.validation import check_ohlcv

TODAY = datetime.date(2024, 6, 28)
START, END = datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)
HEADER = "symbol,date,open,high,low,close,volume"

# Every kind of defect and oddity the reader and the checks must treat as pandas' reader did.
MESSY = [
    "Symbol, Date ,Open,High,Low,Close,Volume,Adj Close,note",
    " AAA , 2024-01-02 ,10,11,9,10.5,1000,10.4,plain",
    '"AAA","2024-01-03","10.5","11.5","10","11","1200",,"quoted, with a comma"',
    "",
    "AAA,2024-01-04,11,12,10.5,11.5,900,NA,after a blank line",
    "AAA,2024-01-05,abc,12,10.5,11.5,900,nan,not a number",
    "AAA,2024-01-08,11,12,10.5,11.5,null,-nan,missing volume and a bad adj_close",
    "AAA,2024/01/09,11,12,10.5,11.5,900,,slashes",
    "AAA,2024-02-30,11,12,10.5,11.5,900,,no such day",
    "BBB,2024-01-02,1e400,21,19,20.5,500,,overflow",
    "BBB,2024-01-03,20,Infinity,19,20.5,500,,infinite",
    "BBB,2024-01-04,20,21,19,20.5,-5,,negative volume",
    "BBB,2024-01-05,20,19,21,20.5,5,,high below low",
    "BBB,2024-01-05,20,21,19,20.5,5,,duplicate",
    "BBB,2024-01-01,20,21,19,20.5,5,,out of order",
    "NA,2024-01-02,20,21,19,20.5,5,,a ticker called NA",
    ",,,,,,,,",
    "CCC,2024-01-02,20,21,19,20.5,5,,",
    "CCC,2024-01-03,20,210,19,200,5,,a tenfold jump",
    "CCC,2024-07-03,20,21,19,20.5,5,,future",
    "   ,2024-01-04,20,21,19,20.5,5,,blank symbol",
    "",
    "",
]


def problems(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    with pytest.raises(MarketDataError) as caught:
        check_ohlcv(frame, "f.csv", today=TODAY)
    return [(p.row, p.symbol, p.date, p.column, p.value, p.message) for p in caught.value.problems]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_arrow_frame_gives_the_problems_of_the_pandas_frame(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes(newline.join(MESSY).encode())

    arrow, first_row = read_frame(path)
    pandas = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False).iloc[
        : len(MESSY) - 3
    ]

    assert first_row == 2
    assert isinstance(arrow.iloc[:, 0].dtype, pd.ArrowDtype)
    assert len(arrow) == len(pandas) == len(MESSY) - 3  # the trailing blank lines are dropped
    found = problems(arrow)
    assert found == problems(pandas)
    assert len(found) == 16
    assert (19, "CCC", "2024-01-03", "close", "200") in [p[:5] for p in found]


def test_clean_file_gives_the_bars_of_the_pandas_frame(tmp_path: Path) -> None:
    lines = [line for line in MESSY[:3]] + [MESSY[4], MESSY[15], MESSY[17]]
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(lines) + "\n")

    arrow = check_ohlcv(read_frame(path)[0], "f.csv", today=TODAY).bars
    pandas = check_ohlcv(pd.read_csv(path, dtype=str, keep_default_na=False), "f.csv", today=TODAY).bars

    pd.testing.assert_frame_equal(arrow, pandas)
    assert arrow["symbol"].tolist() == ["AAA", "AAA", "AAA", "CCC", "NA"]
    assert arrow["symbol"].dtype == object
    assert arrow["adj_close"].isna().tolist() == [False, True, True, True, True]


def adj_close_frame(cells: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": [f"S{i}" for i in range(len(cells))],
            "date": "2024-01-02",
            **dict.fromkeys(("open", "high", "low", "close", "volume"), "1"),
            "adj_close": cells,
        }
    )


# "" keeps Arrow's cast of the whole column; "NA" makes it fail, so the column is parsed cell by cell kind
@pytest.mark.parametrize("spoiler", ["", "NA"])
def test_numbers_parse_alike_whether_or_not_the_column_casts(spoiler: str) -> None:
    cells = ["1e5", "+5", ".5", "5.", "000123", "1.0E+3", "12.75", "0.0001"]

    bars = check_ohlcv(adj_close_frame([*cells, spoiler]), "f.csv", today=TODAY).bars

    assert bars["adj_close"].tolist()[:-1] == [float(cell) for cell in cells]
    assert np.isnan(bars["adj_close"].tolist()[-1])


@pytest.mark.parametrize("spoiler", ["", "NA"])
def test_odd_numbers_give_the_same_problems_whether_or_not_the_column_casts(spoiler: str) -> None:
    raw = adj_close_frame(["inf", "-Infinity", "1e400", "-nan", spoiler])

    assert [(p.row, p.message, p.value) for p in problems_of_frame(raw)] == [
        (2, "infinite value", "inf"),
        (3, "infinite value", "-Infinity"),
        (4, "not a number", "1e400"),
        (5, "not a number", "-nan"),
    ]


def problems_of_frame(raw: pd.DataFrame) -> list[DataProblem]:
    with pytest.raises(MarketDataError) as caught:
        check_ohlcv(raw, "f.csv", today=TODAY)
    return caught.value.problems


def test_line_of_spaces_is_an_empty_row_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "\n".join([HEADER, "AAA,2024-01-02,10,11,9,10.5,1000", "   ", "AAA,2024-01-04,10,11,9,10,-1"])
    )

    with pytest.raises(MarketDataError) as caught:
        FileSource(tmp_path, today=TODAY).load(START, END)

    assert [(p.row, p.message) for p in caught.value.problems] == [
        (3, "empty row"),
        (4, "volume is negative"),
    ]


def test_short_row_has_missing_values_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("\n".join([HEADER, "AAA,2024-01-02,10,11,9,10.5,1000", "AAA,2024-01-03,10", ""]))

    with pytest.raises(MarketDataError) as caught:
        FileSource(tmp_path, today=TODAY).load(START, END)

    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [
        (3, column, "missing value") for column in ("high", "low", "close", "volume")
    ]


def test_header_only_without_newline_has_no_rows(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text(HEADER)

    with pytest.raises(MarketDataError, match="no rows"):
        FileSource(tmp_path, today=TODAY).load(START, END)


def test_column_named_twice_in_a_file(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text(HEADER + ",Close\nAAA,2024-01-02,10,11,9,10.5,1000,10.6\n")

    with pytest.raises(MarketDataError) as caught:
        FileSource(tmp_path, today=TODAY).load(START, END)

    assert [(p.column, p.message) for p in caught.value.problems] == [
        ("close", "column appears more than once")
    ]


def test_quoted_newline_keeps_the_following_rows(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text(
        HEADER + ',note\nAAA,2024-01-02,10,11,9,10.5,1000,"two\nlines"\nAAA,2024-01-03,10,11,9,10.5,1000,x\n'
    )

    assert len(FileSource(tmp_path, today=TODAY).load(START, END)) == 2


def test_flag_mode_on_files_keeps_the_rows_and_lists_those_in_range(tmp_path: Path) -> None:
    rows = ["AAA,2023-12-28,10,10,10,10,1", "AAA,2023-12-29,30,30,30,30,1", "AAA,2024-01-02,90,90,90,90,1"]
    path = tmp_path / "prices.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")

    with pytest.raises(MarketDataError, match="daily log return beyond ±1"):
        FileSource(tmp_path, today=TODAY).load(START, END)
    source = FileSource(tmp_path, today=TODAY, plausibility_mode="flag")
    checked = source.load_checked(START, END)

    assert checked.bars["close"].tolist() == [90.0]
    assert [(p.origin, p.row, p.date, p.column) for p in checked.flagged] == [
        (str(path), 4, "2024-01-02", "close")
    ]
    assert source.load(datetime.date(2023, 1, 1), END)["close"].tolist() == [10.0, 30.0, 90.0]
    assert [p.row for p in source.flagged] == [3, 4]


def test_make_source_passes_the_plausibility_settings_to_files(tmp_path: Path) -> None:
    source = make_source(
        "files", files_path=str(tmp_path), max_abs_log_return=2.0, price_range=None, plausibility_mode="flag"
    )

    assert isinstance(source, FileSource)
    assert (source.plausibility.max_abs_log_return, source.plausibility.price_range) == (2.0, None)
    assert source.plausibility.mode == "flag"
    with pytest.raises(ValueError, match="plausibility mode"):
        make_source("files", files_path=str(tmp_path), plausibility_mode="warn")  # type: ignore[arg-type]


def test_parquet_prices_are_checked_for_plausibility(tmp_path: Path) -> None:
    raw = pd.DataFrame(
        {
            "symbol": ["AAA", "AAA"],
            "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            **{column: [10.0, 1e308] for column in ("open", "high", "low", "close")},
            "volume": [1, 2],
        }
    )
    raw.to_parquet(tmp_path / "prices.parquet")

    with pytest.raises(MarketDataError) as caught:
        FileSource(tmp_path, today=TODAY).load(START, END)

    assert {(p.row, p.value) for p in caught.value.problems} == {(2, "1e+308")}
