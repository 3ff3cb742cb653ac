"""FileSource: real CSV and Parquet files in a folder, with problems located by file and line."""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pytest

from forge_core.data.files import FileSource, read_frame
from forge_core.data.schema import CANONICAL_COLUMNS, MarketDataError

TODAY = datetime.date(2024, 6, 28)
START, END = datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)
HEADER = "symbol,date,open,high,low,close,volume"
LINES = [
    "AAA,2024-01-02,10,11,9,10.5,1000",
    "AAA,2024-01-03,10.5,11.5,10,11,1200",
    "AAA,2024-01-04,11,12,10.5,11.5,900",
    "BBB,2024-01-02,20,21,19,20.5,500",
]


def write_csv(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def load_error(folder: Path) -> str:
    with pytest.raises(MarketDataError) as caught:
        FileSource(folder, today=TODAY).load(START, END)
    return str(caught.value)


def test_csv_and_parquet_files_load_canonical_and_sorted(tmp_path: Path) -> None:
    write_csv(tmp_path / "b.csv", LINES[:2])
    parquet = pd.DataFrame(
        {
            "symbol": ["CCC", "CCC"],
            "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "open": [5.0, 5.1],
            "high": [5.5, 5.6],
            "low": [4.9, 5.0],
            "close": [5.2, 5.3],
            "adj_close": [5.1, 5.2],
            "volume": [10, 20],
        }
    )
    parquet.to_parquet(tmp_path / "a.parquet")
    write_csv(tmp_path / "notes.txt", ["not data"])

    result = FileSource(tmp_path, today=TODAY).load(START, END)

    assert list(result.columns) == list(CANONICAL_COLUMNS)
    assert list(zip(result["symbol"], result["date"].dt.strftime("%Y-%m-%d"), strict=True)) == [
        ("AAA", "2024-01-02"),
        ("AAA", "2024-01-03"),
        ("CCC", "2024-01-02"),
        ("CCC", "2024-01-03"),
    ]
    assert result["adj_close"].isna().tolist() == [True, True, False, False]
    assert result["date"].dtype == "datetime64[ns]"


def test_gzipped_csv_with_trailing_blank_lines_loads(tmp_path: Path) -> None:
    pd.DataFrame([line.split(",") for line in LINES], columns=HEADER.split(",")).to_csv(
        tmp_path / "prices.csv.gz", index=False
    )
    (tmp_path / "more.csv").write_text("\n".join([HEADER, "DDD,2024-01-02,1,2,1,2,3"]) + "\n\n\n")

    assert len(FileSource(tmp_path, today=TODAY).load(START, END)) == 5


def test_start_and_end_are_inclusive(tmp_path: Path) -> None:
    write_csv(tmp_path / "prices.csv", LINES)

    result = FileSource(tmp_path, today=TODAY).load(datetime.date(2024, 1, 3), datetime.date(2024, 1, 4))

    assert result["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-03", "2024-01-04"]
    assert result.index.tolist() == [0, 1]


def test_bad_rows_outside_the_requested_range_are_still_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", [*LINES, "BBB,2024-01-03,20,21,19,20.5,-1"])

    with pytest.raises(MarketDataError):
        FileSource(path.parent, today=TODAY).load(datetime.date(2024, 2, 1), datetime.date(2024, 2, 28))


# Each case: line 3 of the file (between AAA 2024-01-02 and 2024-01-04) and the problem expected there.
@pytest.mark.parametrize(
    ("line", "where", "what"),
    [
        (",2024-01-03,10.5,11.5,10,11,1200", "date 2024-01-03, column 'symbol'", "blank symbol (value: '')"),
        ("AAA,2024/13/45,10.5,11.5,10,11,1200", "symbol AAA, column 'date'", "unparsable date"),
        ("AAA,,10.5,11.5,10,11,1200", "symbol AAA, column 'date'", "missing date (value: '')"),
        (
            "AAA,2024-01-03,abc,11.5,10,11,1200",
            "symbol AAA, date 2024-01-03, column 'open'",
            "(value: 'abc')",
        ),
        ("AAA,2024-01-03,10.5,11.5,10,,1200", "symbol AAA, date 2024-01-03, column 'close'", "missing value"),
        (
            "AAA,2024-01-03,10.5,11.5,10,11,null",
            "symbol AAA, date 2024-01-03, column 'volume'",
            "(value: 'null')",
        ),
        ("AAA,2024-01-03,10.5,Infinity,10,11,1200", "symbol AAA, date 2024-01-03, column 'high'", "infinite"),
        (
            "AAA,2024-01-03,10.5,11.5,10,-11,1200",
            "symbol AAA, date 2024-01-03, column 'close'",
            "(value: '-11')",
        ),
        (
            "AAA,2024-01-03,10.5,10.8,10,11,1200",
            "symbol AAA, date 2024-01-03, column 'high'",
            "(value: '10.8')",
        ),
        (
            "AAA,2024-01-03,10.5,11.5,10.6,11,1200",
            "symbol AAA, date 2024-01-03, column 'low'",
            "(value: '10.6')",
        ),
        (
            "AAA,2024-01-03,10.5,9,11,11,1200",
            "symbol AAA, date 2024-01-03, column 'high'",
            "high is below low",
        ),
        (
            "AAA,2024-01-03,10.5,11.5,10,11,-3",
            "symbol AAA, date 2024-01-03, column 'volume'",
            "(value: '-3')",
        ),
        (
            "AAA,2024-01-02,10.5,11.5,10,11,1200",
            "symbol AAA, date 2024-01-02",
            "duplicate of the same symbol",
        ),
        (
            "AAA,2024-01-01,10.5,11.5,10,11,1200",
            "symbol AAA, date 2024-01-01, column 'date'",
            "(row 2: 2024-01-02)",
        ),
        (
            "AAA,2024-07-01,10.5,11.5,10,11,1200",
            "symbol AAA, date 2024-07-01, column 'date'",
            "in the future",
        ),
    ],
)
def test_problem_names_file_line_symbol_date_column_and_value(
    tmp_path: Path, line: str, where: str, what: str
) -> None:
    path = write_csv(tmp_path / "prices.csv", [LINES[0], line, LINES[2]])

    message = load_error(tmp_path)

    assert "1 problem:" in message
    assert f"{path}, row 3, {where}: " in message
    assert what in message


def test_parquet_rows_are_numbered_from_one(tmp_path: Path) -> None:
    raw = pd.DataFrame([line.split(",") for line in LINES], columns=HEADER.split(","))
    raw.loc[2, "volume"] = "-1"
    path = tmp_path / "prices.parquet"
    raw.to_parquet(path)

    assert f"{path}, row 3, symbol AAA, date 2024-01-04, column 'volume'" in load_error(tmp_path)
    assert read_frame(path)[1] == 1


def test_interior_blank_line_keeps_line_numbers_true(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("\n".join([HEADER, LINES[0], "", LINES[1], "AAA,2024-01-04,11,12,10.5,11.5,-1"]) + "\n")

    message = load_error(tmp_path)

    assert f"{path}, row 3: empty row" in message
    assert f"{path}, row 5, symbol AAA, date 2024-01-04, column 'volume'" in message


def test_duplicates_across_files_name_both_files(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", LINES[:2])
    second = write_csv(tmp_path / "b.csv", [LINES[1], LINES[3]])

    message = load_error(tmp_path)

    assert f"{second}, symbol AAA, date 2024-01-03: symbol and date also in {first}" in message
    assert "1 problem:" in message


def test_problems_from_all_files_are_listed_and_truncated_after_20(tmp_path: Path) -> None:
    bad = [f"AAA,2024-02-{day:02d},10,11,9,10,-1" for day in range(1, 16)]
    write_csv(tmp_path / "a.csv", bad)
    write_csv(tmp_path / "b.csv", [line.replace("AAA", "BBB") for line in bad])

    message = load_error(tmp_path)

    assert message.startswith("invalid market data, 30 problems:")
    assert "b.csv, row 6, symbol BBB" in message
    assert "b.csv, row 7," not in message
    assert message.endswith("... and 10 more")


def test_missing_column_names_the_columns_found(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "prices.csv", ["AAA,2024-01-02,10,11,9,10.5"], header="symbol,date,open,high,low,close"
    )

    message = load_error(tmp_path)

    assert f"{path}, column 'volume': missing required column (columns found: " in message


@pytest.mark.parametrize("content", ["", HEADER + "\n"])
def test_file_without_rows(tmp_path: Path, content: str) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(content)

    assert f"{path}: no rows" in load_error(tmp_path)


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    write_csv(tmp_path / "ragged.csv", [LINES[0], LINES[1] + ",extra,fields"])

    message = load_error(tmp_path)

    assert f"{tmp_path / 'broken.parquet'}: cannot read file:" in message
    assert f"{tmp_path / 'ragged.csv'}: cannot read file:" in message


def test_folder_that_does_not_exist(tmp_path: Path) -> None:
    assert f"{tmp_path / 'nowhere'}: folder does not exist" in load_error(tmp_path / "nowhere")


def test_folder_without_data_files(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing here")

    assert f"no CSV or Parquet files in {tmp_path}" in load_error(tmp_path)
