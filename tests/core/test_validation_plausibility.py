"""Plausibility checks: prices outside a range and daily log returns beyond a bound, refused or flagged."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from forge_core.data.bundled import BundledSource
from forge_core.data.schema import DataProblem, MarketDataError
from forge_core.data.synthetic import SyntheticSource
from forge_core.data.validation import (
    DEFAULT_MAX_ABS_LOG_RETURN,
    DEFAULT_PRICE_RANGE,
    MAX_PROBLEMS_PER_CHECK,
    Plausibility,
    check_ohlcv,
    validate_ohlcv,
)

ORIGIN = "prices.csv"
TODAY = datetime.date(2024, 6, 28)
COLUMNS = ["symbol", "date", "open", "high", "low", "close", "volume"]


def bar(symbol: str, date: str, close: str, *, adj_close: str | None = None) -> list[str]:
    """A consistent bar whose open, high and low equal its close."""
    row = [symbol, date, close, close, close, close, "100"]
    return row if adj_close is None else [*row, adj_close]


def frame(rows: list[list[str]]) -> pd.DataFrame:
    columns = COLUMNS if len(rows[0]) == len(COLUMNS) else [*COLUMNS, "adj_close"]
    return pd.DataFrame(rows, columns=columns, dtype=str)


def problems_of(data: pd.DataFrame, **settings: object) -> list[DataProblem]:
    with pytest.raises(MarketDataError) as caught:
        validate_ohlcv(data, ORIGIN, today=TODAY, **settings)  # type: ignore[arg-type]
    return caught.value.problems


def test_defaults() -> None:
    assert DEFAULT_MAX_ABS_LOG_RETURN == 1.0
    assert DEFAULT_PRICE_RANGE == (1e-6, 1e9)
    assert Plausibility().mode == "refuse"


def test_a_1e308_close_is_refused_with_its_row_and_value() -> None:
    rows = [
        bar("AAA", "2024-01-02", "100"),
        bar("AAA", "2024-01-03", "1e308"),
        bar("AAA", "2024-01-04", "101"),
    ]

    problems = problems_of(frame(rows))

    message = "price outside the plausible range [1e-06, 1e+09]"
    assert problems == [
        DataProblem(ORIGIN, message, row=3, symbol="AAA", date="2024-01-03", column=column, value="1e308")
        for column in ("open", "high", "low", "close")
    ]  # the return check skips the row, so it does not also report the jump into it and out of it


def test_a_log_return_beyond_the_bound_is_refused_on_the_later_day() -> None:
    rows = [bar("AAA", "2024-01-02", "10"), bar("AAA", "2024-01-03", "30"), bar("AAA", "2024-01-04", "31")]

    problems = problems_of(frame(rows))

    assert problems == [
        DataProblem(
            ORIGIN,
            "daily log return beyond ±1 (+1.1 from close 10 in row 2, 2024-01-02); a 1:3 split? supply an "
            "adj_close column, or list the split in splits.csv (columns symbol, date, ratio; ratio as new:old "
            "shares, e.g. 2:1), which the features then apply; to store it anyway set FORGE_PLAUSIBILITY=flag, or "
            "raise the market_data resource's max_abs_log_return (now 1; 0 turns the check off)",
            row=3,
            symbol="AAA",
            date="2024-01-03",
            column="close",
            value="30",
        )
    ]
    assert "row 3, symbol AAA, date 2024-01-03, column 'close': daily log return beyond ±1" in str(
        MarketDataError(problems)
    )


def test_a_spike_gives_the_jump_up_and_the_jump_down() -> None:
    rows = [bar("AAA", "2024-01-02", "10"), bar("AAA", "2024-01-03", "100"), bar("AAA", "2024-01-04", "10")]

    problems = problems_of(frame(rows))

    assert [(p.row, p.value, p.message.split(" (")[1].split(";")[0]) for p in problems] == [
        (3, "100", "+2.3 from close 10 in row 2, 2024-01-02)"),
        (4, "10", "-2.3 from close 100 in row 3, 2024-01-03)"),
    ]


def test_returns_are_per_symbol_and_in_date_order_whatever_the_input_order() -> None:
    rows = [
        bar("AAA", "2024-01-03", "10.5"),
        bar("BBB", "2024-01-02", "5000"),
        bar("AAA", "2024-01-02", "10"),  # out of order: reported as such, but no implausible return
        bar("BBB", "2024-01-03", "5100"),
    ]

    problems = problems_of(frame(rows))

    assert [p.message for p in problems] == [
        "date is not after the previous row of this symbol (row 2: 2024-01-03)"
    ]


def test_the_bound_and_the_range_are_configurable() -> None:
    rows = [bar("AAA", "2024-01-02", "10"), bar("AAA", "2024-01-03", "30")]

    assert len(validate_ohlcv(frame(rows), ORIGIN, today=TODAY, max_abs_log_return=1.5)) == 2
    assert len(validate_ohlcv(frame(rows), ORIGIN, today=TODAY, max_abs_log_return=None)) == 2
    narrow = problems_of(frame(rows), max_abs_log_return=None, price_range=(1.0, 20.0))
    assert [(p.row, p.column, p.message) for p in narrow] == [
        (3, column, "price outside the plausible range [1, 20]")
        for column in ("open", "high", "low", "close")
    ]
    tiny = [bar("AAA", "2024-01-02", "1e-7"), bar("AAA", "2024-01-03", "1e-7")]
    assert len(problems_of(frame(tiny))) == 8
    assert len(validate_ohlcv(frame(tiny), ORIGIN, today=TODAY, price_range=None)) == 2


def test_adj_close_is_used_where_both_days_have_one() -> None:
    split = [
        bar("AAA", "2024-01-02", "300", adj_close="100"),
        bar("AAA", "2024-01-03", "101", adj_close="101"),  # a 3:1 split: close falls, adj_close does not
    ]
    assert len(validate_ohlcv(frame(split), ORIGIN, today=TODAY)) == 2

    jump = [
        bar("AAA", "2024-01-02", "100", adj_close="100"),
        bar("AAA", "2024-01-03", "101", adj_close="10"),
        bar("AAA", "2024-01-04", "102", adj_close=""),  # no adj_close: close against close
    ]
    problems = problems_of(frame(jump))
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "adj_close", "10")]
    assert problems[0].message == (
        "daily log return beyond ±1 (-2.3 from adj_close 100 in row 2, 2024-01-02); to store it anyway set "
        "FORGE_PLAUSIBILITY=flag, or raise the market_data resource's max_abs_log_return (now 1; 0 turns the check off)"
    )


def test_flag_mode_accepts_the_rows_and_hands_back_their_problems() -> None:
    rows = [bar("AAA", "2024-01-02", "10"), bar("AAA", "2024-01-03", "30"), bar("BBB", "2024-01-02", "2e9")]

    checked = check_ohlcv(frame(rows), ORIGIN, today=TODAY, plausibility_mode="flag")

    assert checked.bars["close"].tolist() == [10.0, 30.0, 2e9]
    assert [(p.row, p.symbol, p.date, p.column) for p in checked.flagged] == [
        (3, "AAA", "2024-01-03", "close"),
        *((4, "BBB", "2024-01-02", column) for column in ("open", "high", "low", "close")),
    ]
    assert len(validate_ohlcv(frame(rows), ORIGIN, today=TODAY, plausibility_mode="flag")) == 3
    assert check_ohlcv(frame(rows[:1]), ORIGIN, today=TODAY, plausibility_mode="flag").flagged == ()


def test_flag_mode_still_refuses_other_problems() -> None:
    rows = [bar("AAA", "2024-01-02", "10"), bar("AAA", "2024-01-03", "30"), bar("AAA", "2024-01-04", "-1")]

    problems = problems_of(frame(rows), plausibility_mode="flag")

    assert {p.message for p in problems} == {"price must be positive"}


def test_refuse_mode_lists_plausibility_with_other_problems_by_row() -> None:
    rows = [bar("AAA", "2024-01-02", "10"), bar("AAA", "2024-01-03", "30"), ["AAA", "2024-01-04", *["x"] * 5]]

    problems = problems_of(frame(rows))

    assert [(p.row, p.column) for p in problems] == [(3, "close"), *((4, c) for c in COLUMNS[2:])]


def test_duplicates_and_future_rows_take_no_part_in_returns() -> None:
    rows = [
        bar("AAA", "2024-01-02", "10"),
        bar("AAA", "2024-01-02", "99"),  # duplicate
        bar("AAA", "2024-01-03", "10.2"),
        bar("AAA", "2024-07-01", "99"),  # future
    ]

    problems = problems_of(frame(rows))

    assert [p.message.split(" (")[0] for p in problems] == [
        "duplicate of the same symbol and date in row 2",
        "date is in the future",
    ]


def test_flagged_rows_are_capped_per_check_with_a_count() -> None:
    size = MAX_PROBLEMS_PER_CHECK + 10
    raw = pd.DataFrame(
        {
            "symbol": "AAA",
            "date": pd.date_range("2000-01-01", periods=size),
            **{c: np.where(np.arange(size) % 2, 10.0, 100.0) for c in ("open", "high", "low", "close")},
            "volume": 1.0,
        }
    )

    checked = check_ohlcv(raw, "typed", today=TODAY, first_row_number=1, plausibility_mode="flag")

    assert len(checked.flagged) == MAX_PROBLEMS_PER_CHECK + 1
    assert checked.flagged[-1] == DataProblem(
        "typed", "daily log return beyond ±1: 9 more rows", column="close"
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"max_abs_log_return": 0.0},
        {"max_abs_log_return": -1.0},
        {"max_abs_log_return": float("inf")},
        {"price_range": (10.0, 1.0)},
        {"price_range": (-1.0, 1.0)},
        {"mode": "warn"},
    ],
)
def test_bad_settings_are_refused_up_front(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        Plausibility(**settings)  # type: ignore[arg-type]


def test_bundled_data_is_plausible_over_its_whole_span() -> None:
    bars = BundledSource().load(datetime.date(1990, 1, 1), datetime.date(2030, 1, 1))  # validated, refusing

    checked = check_ohlcv(bars, "bundled", first_row_number=1, plausibility_mode="flag")

    assert set(bars["symbol"]) == {"^GSPC", "^IXIC", "^VIX"}
    assert checked.flagged == ()


def test_synthetic_data_is_plausible_over_its_whole_span() -> None:
    bars = SyntheticSource(8, seed=3).load(datetime.date(2000, 1, 3), datetime.date.today())

    checked = check_ohlcv(bars, "synthetic", first_row_number=1, plausibility_mode="flag")

    assert len(bars) > 8 * 252 * 20
    assert checked.flagged == ()
