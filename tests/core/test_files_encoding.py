"""CSV files must be UTF-8: anything else is refused with the line and column of the first bad byte."""

from __future__ import annotations

import codecs
import datetime
import gzip
from pathlib import Path

import pytest

from forge_core.data import files
from forge_core.data.files import FileSource
from forge_core.data.schema import MarketDataError

TODAY = datetime.date(2024, 6, 28)
START, END = datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)
HEADER = "symbol,date,open,high,low,close,volume,name"
LINES = [
    "AAA,2024-01-02,10,11,9,10.5,1000,Alpha",
    "AAA,2024-01-03,10.5,11.5,10,11,1200,Alpha",
    "BBB,2024-01-02,20,21,19,20.5,500,Bravo",
]


def load(folder: Path) -> int:
    return len(FileSource(folder, today=TODAY).load(START, END))


def only_problem(folder: Path) -> str:
    with pytest.raises(MarketDataError) as caught:
        FileSource(folder, today=TODAY).load(START, END)
    assert len(caught.value.problems) == 1
    return str(caught.value)


def test_latin1_file_names_the_line_and_column_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    text = "\n".join([HEADER, LINES[0], LINES[1] + " Société", LINES[2]]) + "\n"
    path.write_bytes(text.encode("latin-1"))

    message = only_problem(tmp_path)

    column = len(LINES[1] + " Soci") + 1
    where = f"line 3, column {column} (1-based, counting characters;"
    assert f"{path}, row 3: not UTF-8 text: byte 0xE9 at {where}" in message
    assert "expected UTF-8" in message
    assert f"; it follows {(LINES[1] + ' Soci')[-20:]!r}; " in message


def test_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    good = "AAA,2024-01-03,10.5,11.5,10,11,1200,Zürich €".encode()  # ü is 2 bytes, € is 3
    path.write_bytes(b"\n".join([HEADER.encode(), LINES[0].encode(), good + b" \xff", b""]))

    message = only_problem(tmp_path)

    characters = len("AAA,2024-01-03,10.5,11.5,10,11,1200,Zürich € ") + 1
    byte = len(HEADER) + 1 + len(LINES[0]) + 1 + len(good) + 2
    where = f"line 3, column {characters} (1-based, counting characters; byte {byte} of the file)"
    assert f"byte 0xFF at {where}" in message


def test_first_bad_byte_beyond_the_first_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "_DECODE_CHUNK", 50)  # so the file is decoded in several chunks
    lines = [f"AAA,2024-02-{day:02d},10,11,9,10.5,1000,Zürich" for day in range(1, 29)]
    lines[20] = lines[20].replace("Zürich", "Z\udcfcrich")
    path = tmp_path / "prices.csv"
    path.write_bytes("\n".join([HEADER, *lines]).encode("utf-8", errors="surrogateescape") + b"\n")

    column = len("AAA,2024-02-21,10,11,9,10.5,1000,Z") + 1
    assert f"byte 0xFC at line 22, column {column} " in only_problem(tmp_path)


def test_valid_utf8_beyond_ascii_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "_DECODE_CHUNK", 10)
    (tmp_path / "prices.csv").write_text("\n".join([HEADER, *(line + " Société €" for line in LINES)]) + "\n")

    assert load(tmp_path) == 3


@pytest.mark.parametrize("gzipped", [False, True])
def test_utf8_byte_order_mark_is_accepted(tmp_path: Path, gzipped: bool) -> None:
    content = codecs.BOM_UTF8 + ("\n".join([HEADER, *LINES]) + "\n").encode()
    if gzipped:
        (tmp_path / "prices.csv.gz").write_bytes(gzip.compress(content))
    else:
        (tmp_path / "prices.csv").write_bytes(content)

    bars = FileSource(tmp_path, today=TODAY).load(START, END)

    # the first header name is "symbol", not "\ufeffsymbol"
    assert bars["symbol"].tolist() == ["AAA", "AAA", "BBB"]


def test_byte_order_mark_with_a_file_pandas_reads(tmp_path: Path) -> None:
    # a short row is read by the pandas fallback, which must also drop the BOM
    content = "\n".join([HEADER, LINES[0], "AAA,2024-01-03,10.5,11.5", LINES[2]]) + "\n"
    path = tmp_path / "prices.csv"
    path.write_bytes(codecs.BOM_UTF8 + content.encode())

    with pytest.raises(MarketDataError) as caught:
        FileSource(tmp_path, today=TODAY).load(START, END)
    message = str(caught.value)

    assert f"{path}, row 3, symbol AAA, date 2024-01-03, column 'low': missing value" in message
    assert "missing required column" not in message


def test_bad_byte_position_ignores_the_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes(
        codecs.BOM_UTF8 + b"symbol,d\xe4te,open,high,low,close,volume\n" + LINES[0].encode() + b"\n"
    )

    where = "line 1, column 9 (1-based, counting characters; byte 12 of the file)"
    assert f"byte 0xE4 at {where}" in only_problem(tmp_path)


def test_binary_file_is_called_binary(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))

    message = only_problem(tmp_path)

    assert f"{path}, row 1: binary content, not CSV text: byte 0x89 at line 1, column 1 " in message
    assert "expected UTF-8" in message


def test_nul_byte_in_text_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes(("\n".join([HEADER, LINES[0], "AAA,2024"]) + "\x00-01-03").encode())

    assert "binary content, not CSV text: a NUL byte at line 3, column 9 " in only_problem(tmp_path)


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (gzip.compress(b"symbol,date\n"), "gzip-compressed data (name the file .csv.gz)"),
        (b"PAR1\x15\x04\x15\x00", "a Parquet file (name it .parquet)"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive, such as an Excel workbook"),
        ("symbol,date\n".encode("utf-16"), "UTF-16 text"),
    ],
)
def test_common_non_csv_files_are_named(tmp_path: Path, content: bytes, looks_like: str) -> None:
    (tmp_path / "prices.csv").write_bytes(content)

    assert f"the file looks like {looks_like}" in only_problem(tmp_path)


def test_gzipped_latin1_positions_are_in_the_decompressed_text(tmp_path: Path) -> None:
    text = "\n".join([HEADER, LINES[0] + "é", *LINES[1:]]) + "\n"
    (tmp_path / "prices.csv.gz").write_bytes(gzip.compress(text.encode("cp1252")))

    message = only_problem(tmp_path)

    assert f"line 2, column {len(LINES[0]) + 1} (1-based, counting characters; byte " in message
    assert "of the decompressed file)" in message


def test_encoding_problems_are_listed_with_other_files_problems(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(("\n".join([HEADER, LINES[0] + "é"]) + "\n").encode("latin-1"))
    (tmp_path / "b.csv").write_text("\n".join([HEADER, LINES[0].replace("1000", "-1")]) + "\n")

    with pytest.raises(MarketDataError) as caught:
        FileSource(tmp_path, today=TODAY).load(START, END)

    assert [(Path(p.origin).name, p.row) for p in caught.value.problems] == [("a.csv", 2), ("b.csv", 2)]
