"""validate_ohlcv: canonical output for good input, and one precise problem per defect for bad input."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from forge_core.data.schema import CANONICAL_COLUMNS, DataProblem, MarketDataError
from forge_core.data.validation import MAX_PROBLEMS_PER_CHECK, validate_ohlcv

ORIGIN = "prices.csv"
TODAY = datetime.date(2024, 6, 28)
COLUMNS = ["symbol", "date", "open", "high", "low", "close", "volume"]
GOOD = [
    ["AAA", "2024-01-02", "10", "11", "9", "10.5", "1000"],
    ["AAA", "2024-01-03", "10.5", "11.5", "10", "11", "1200"],
    ["BBB", "2024-01-02", "20", "21", "19", "20.5", "500"],
]


def frame(rows: list[list[str]], columns: list[str] = COLUMNS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=str)


def problems_of(data: pd.DataFrame) -> list[DataProblem]:
    with pytest.raises(MarketDataError) as caught:
        validate_ohlcv(data, ORIGIN, today=TODAY)
    return caught.value.problems


def with_row(index: int, row: list[str]) -> pd.DataFrame:
    rows = [list(r) for r in GOOD]
    rows[index] = row
    return frame(rows)


def test_good_frame_comes_back_canonical() -> None:
    rows = [GOOD[2], GOOD[0], GOOD[1]]
    raw = frame(
        [[*row, "x"] for row in rows], [" Symbol", "DATE", "Open", "High ", "low", "Close", "Volume", "note"]
    )

    result = validate_ohlcv(raw, ORIGIN, today=TODAY)

    assert list(result.columns) == list(CANONICAL_COLUMNS)
    assert result["symbol"].tolist() == ["AAA", "AAA", "BBB"]
    assert result["date"].dtype == "datetime64[ns]"
    assert result["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-02", "2024-01-03", "2024-01-02"]
    assert all(result[c].dtype == "float64" for c in CANONICAL_COLUMNS[2:])
    assert result["adj_close"].isna().all()
    assert result.loc[1, "close"] == 11.0
    assert result.index.tolist() == [0, 1, 2]


def test_typed_input_with_adj_close_and_times_passes() -> None:
    raw = pd.DataFrame(
        {
            "symbol": ["AAA", "AAA"],
            "date": pd.to_datetime(["2024-01-02 16:00", "2024-01-03 16:00"]),
            "open": [10.0, 10.5],
            "high": [11.0, 11.5],
            "low": [9.0, 10.0],
            "close": [10.5, 11.0],
            "Adj Close": [10.4, np.nan],
            "volume": [1000, 1200],
        }
    )

    result = validate_ohlcv(raw, ORIGIN, today=TODAY, first_row_number=1)

    assert result["date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert result["adj_close"].tolist()[0] == 10.4
    assert np.isnan(result["adj_close"].tolist()[1])
    assert result["volume"].dtype == "float64"


def test_no_rows() -> None:
    assert problems_of(frame([])) == [DataProblem(ORIGIN, "no rows")]


def test_missing_columns_are_listed_and_stop_validation() -> None:
    raw = frame([["", "bad", "x", "1", "2"]], ["symbol", "date", "open", "high", "close"])

    problems = problems_of(raw)

    found = "columns found: symbol, date, open, high, close"
    assert problems == [
        DataProblem(ORIGIN, f"missing required column ({found})", column="low"),
        DataProblem(ORIGIN, f"missing required column ({found})", column="volume"),
    ]


def test_column_twice_after_normalisation() -> None:
    raw = frame([[*GOOD[0], "10.5"]], [*COLUMNS, "Close "])

    assert problems_of(raw) == [DataProblem(ORIGIN, "column appears more than once", column="close")]


def test_optional_adj_close_may_be_missing() -> None:
    raw = frame(
        [[*row, adj] for row, adj in zip(GOOD, ["10.4", "", "NA"], strict=True)], [*COLUMNS, "adj_close"]
    )

    assert validate_ohlcv(raw, ORIGIN, today=TODAY)["adj_close"].isna().tolist() == [False, True, True]


def problem(
    message: str,
    *,
    row: int = 3,
    symbol: str | None = "AAA",
    date: str | None = "2024-01-03",
    column: str | None = None,
    value: str | None = None,
) -> DataProblem:
    """The expected problem, by default in the second data row (AAA, 2024-01-03)."""
    return DataProblem(ORIGIN, message, row=row, symbol=symbol, date=date, column=column, value=value)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["  ", "2024-01-03", "10.5", "11.5", "10", "11", "1200"],
            problem("blank symbol", symbol=None, column="symbol", value=""),
        ),
        (
            ["AAA", "", "10.5", "11.5", "10", "11", "1200"],
            problem("missing date", date=None, column="date", value=""),
        ),
        (
            ["AAA", "03/01/2024", "10.5", "11.5", "10", "11", "1200"],
            problem("unparsable date (expected YYYY-MM-DD)", date=None, column="date", value="03/01/2024"),
        ),
        (
            ["AAA", "2024-02-30", "10.5", "11.5", "10", "11", "1200"],
            problem("unparsable date (expected YYYY-MM-DD)", date=None, column="date", value="2024-02-30"),
        ),
        (
            ["AAA", "2024-01-03", "1O.5", "11.5", "10", "11", "1200"],
            problem("not a number", column="open", value="1O.5"),
        ),
        (
            ["AAA", "2024-01-03", "10.5", "11.5", "10", "11", "NA"],
            problem("missing value", column="volume", value="NA"),
        ),
        (
            ["AAA", "2024-01-03", "10.5", "11.5", "", "11", "1200"],
            problem("missing value", column="low", value=""),
        ),
        (
            ["AAA", "2024-01-03", "10.5", "inf", "10", "11", "1200"],
            problem("infinite value", column="high", value="inf"),
        ),
        (
            ["AAA", "2024-01-03", "0", "11.5", "10", "11", "1200"],
            problem("price must be positive", column="open", value="0"),
        ),
        (
            ["AAA", "2024-01-03", "10.5", "11.5", "-10", "11", "1200"],
            problem("price must be positive", column="low", value="-10"),
        ),
        (
            ["AAA", "2024-01-03", "10.5", "11.5", "10", "12", "1200"],
            problem("high is below max(open, close) (open 10.5, close 12)", column="high", value="11.5"),
        ),
        (
            ["AAA", "2024-01-03", "10.5", "11.5", "10.8", "11", "1200"],
            problem("low is above min(open, close) (open 10.5, close 11)", column="low", value="10.8"),
        ),
        (
            ["AAA", "2024-01-03", "10.5", "10", "11.5", "11", "1200"],
            problem("high is below low (11.5)", column="high", value="10"),
        ),
        (
            ["AAA", "2024-01-03", "10.5", "11.5", "10", "11", "-5"],
            problem("volume is negative", column="volume", value="-5"),
        ),
        (
            ["AAA", "2024-01-02", "10.5", "11.5", "10", "11", "1200"],
            problem("duplicate of the same symbol and date in row 2", date="2024-01-02"),
        ),
        (
            ["AAA", "2024-01-01", "10.5", "11.5", "10", "11", "1200"],
            problem(
                "date is not after the previous row of this symbol (row 2: 2024-01-02)",
                date="2024-01-01",
                column="date",
            ),
        ),
        (
            ["AAA", "2024-07-01", "10.5", "11.5", "10", "11", "1200"],
            problem("date is in the future (today is 2024-06-28)", date="2024-07-01", column="date"),
        ),
    ],
)
def test_each_defect_gives_one_precise_problem(row: list[str], expected: DataProblem) -> None:
    assert problems_of(with_row(1, row)) == [expected]


def test_infinite_or_unparsable_adj_close_is_an_error() -> None:
    raw = frame([[*GOOD[0], "-inf"], [*GOOD[1], "abc"]], [*COLUMNS, "adj_close"])

    assert problems_of(raw) == [
        problem("infinite value", row=2, date="2024-01-02", column="adj_close", value="-inf"),
        problem("not a number", column="adj_close", value="abc"),
    ]


def test_high_below_low_is_one_problem_not_three() -> None:
    problems = problems_of(with_row(0, ["AAA", "2024-01-02", "10", "9", "11", "10.5", "1000"]))

    assert [p.message for p in problems] == ["high is below low (11)"]


def test_a_row_with_a_bad_cell_skips_the_value_checks() -> None:
    problems = problems_of(with_row(1, ["AAA", "2024-01-02", "-1", "1", "5", "x", "-5"]))

    assert problems == [problem("not a number", column="close", value="x", date="2024-01-02")]


def test_out_of_order_compares_with_the_previous_row_of_the_same_symbol() -> None:
    rows = [
        ["AAA", "2024-01-03", "10", "11", "9", "10", "1"],
        ["BBB", "2024-01-01", "10", "11", "9", "10", "1"],
        ["AAA", "2024-01-02", "10", "11", "9", "10", "1"],
        ["AAA", "2024-01-04", "10", "11", "9", "10", "1"],
    ]

    problems = problems_of(frame(rows))

    assert [(p.row, p.symbol, p.date) for p in problems] == [(4, "AAA", "2024-01-02")]


def test_empty_row_is_one_problem() -> None:
    rows = [GOOD[0], ["", "", "", "", "", "", ""], GOOD[1]]

    assert problems_of(frame(rows)) == [DataProblem(ORIGIN, "empty row", row=3)]


def test_first_row_number_sets_the_row_numbers() -> None:
    with pytest.raises(MarketDataError) as caught:
        validate_ohlcv(with_row(1, ["AAA", "x", "1", "1", "1", "1", "1"]), "bundled:test", first_row_number=1)

    assert caught.value.problems[0].row == 2
    assert "bundled:test, row 2, symbol AAA, column 'date'" in str(caught.value)


def test_many_problems_are_all_counted_and_the_message_is_truncated() -> None:
    rows = [["AAA", f"2024-01-{day:02d}", "10", "11", "9", "10", "-1"] for day in range(1, 31)]

    with pytest.raises(MarketDataError) as caught:
        validate_ohlcv(frame(rows), ORIGIN, today=TODAY)

    assert len(caught.value.problems) == 30
    message = str(caught.value)
    assert message.startswith("invalid market data, 30 problems:")
    assert "row 21, symbol AAA, date 2024-01-20, column 'volume': volume is negative (value: '-1')" in message
    assert "row 22," not in message
    assert message.endswith("... and 10 more")


def test_problems_per_check_are_capped_with_a_count_of_the_rest() -> None:
    size = MAX_PROBLEMS_PER_CHECK + 500
    raw = pd.DataFrame(
        {
            "symbol": "AAA",
            "date": pd.date_range("2010-01-01", periods=size),
            "open": 10.0,
            "high": 11.0,
            "low": 9.0,
            "close": 10.0,
            "volume": -1.0,
        }
    )

    problems = problems_of(raw)

    assert len(problems) == MAX_PROBLEMS_PER_CHECK + 1
    assert problems[-1] == DataProblem(ORIGIN, "volume is negative: 500 more rows", column="volume")


def test_future_date_is_not_also_reported_out_of_order() -> None:
    rows = [
        GOOD[0],
        ["AAA", "2024-07-01", "10", "11", "9", "10", "1"],
        ["AAA", "2024-01-04", "10", "11", "9", "10", "1"],
    ]

    assert [p.message for p in problems_of(frame(rows))] == ["date is in the future (today is 2024-06-28)"]
