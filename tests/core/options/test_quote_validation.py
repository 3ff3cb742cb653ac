"""Option quote validation: a clean chain passes in canonical form; every defect (types, crossed and zero-width
markets, strikes, expiries, no-arbitrage bounds, duplicates) is named with its row, column and value; nothing passes
with a defect in it."""

from __future__ import annotations

import pandas as pd
import pytest

from forge_core.data.schema import MarketDataError
from forge_core.options.quote_validation import (
    QUOTE_COLUMNS,
    SUMMARY_COLUMNS,
    validate_option_quotes,
    validate_quote_summaries,
)


def chain() -> pd.DataFrame:
    rows = [
        ("SPX", "2018-03-01", "2018-04-20", 2700, "call", 60.0, 61.0, 10, 12, 2713.8),
        ("SPX", "2018-03-01", "2018-04-20", 2700, "put", 40.0, 41.0, 5, 8, 2713.8),
        ("SPX", "2018-03-01", "2018-06-15", 2800, "C", 45.5, 46.5, 3, 3, 2713.8),
        ("SPX", "2018-03-01", "2018-06-15", 2600, "p", 55.0, 56.2, 1, 9, 2713.8),
    ]
    columns = ["symbol", "date", "expiry", "strike", "option_type", "bid", "ask", "bid_size", "ask_size",
               "underlying_price"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).astype(str)


def problems(frame: pd.DataFrame) -> list[str]:
    with pytest.raises(MarketDataError) as raised:
        validate_option_quotes(frame, "quotes.csv")
    return [p.describe() for p in raised.value.problems]


def test_a_clean_chain_passes_in_canonical_form() -> None:
    quotes = validate_option_quotes(chain().assign(rate="0.015"), "quotes.csv")
    assert list(quotes.columns) == list(QUOTE_COLUMNS) and len(quotes) == 4
    assert set(quotes["option_type"]) == {"C", "P"} and (quotes["dividend_yield"] == 0).all()
    assert (quotes["rate"] == 0.015).all() and quotes["expiry"].dtype.kind == "M"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (
            "bid",
            "62.0",
            "row 2, symbol SPX, date 2018-03-01, column 'bid': crossed market: bid above ask (value: '62.0')",
        ),
        ("bid", "61.0", "column 'bid': zero-width market: bid equals ask (value: '61.0')"),
        ("strike", "-5", "column 'strike': strike must be > 0 (value: '-5')"),
        (
            "expiry",
            "2018-02-28",
            "column 'expiry': expiry on or before the quote's date (value: '2018-02-28')",
        ),
        ("expiry", "next month", "column 'expiry': expiry is not a date (YYYY-MM-DD) (value: 'next month')"),
        ("ask", "1.0", "column 'ask': ask below the no-arbitrage lower bound (value: '1.0')"),
        ("bid_size", "lots", "column 'bid_size': not a finite number (value: 'lots')"),
        (
            "option_type",
            "straddle",
            "column 'option_type': option_type must be C/P or call/put (value: 'straddle')",
        ),
    ],
)
def test_each_defect_is_named_with_row_column_and_value(column: str, value: str, message: str) -> None:
    frame = chain()
    frame.loc[0, column] = value
    found = problems(frame)
    assert any(message in p and "row 2" in p for p in found), found


def test_bounds_duplicates_and_missing_columns() -> None:
    frame = chain()
    frame.loc[1, "bid"] = "2800.0"  # a put bid above its strike
    frame.loc[1, "ask"] = "2801.0"
    found = problems(pd.concat([frame, frame.iloc[[3]]], ignore_index=True))
    assert any("row 3" in p and "bid above the no-arbitrage upper bound" in p for p in found)
    assert sum("same contract" in p for p in found) == 2  # both rows of the repeated contract
    with pytest.raises(MarketDataError, match=r"missing columns \['ask'\]"):
        validate_option_quotes(chain().drop(columns="ask"), "quotes.csv")


def test_quote_summaries_are_checked_the_same_way() -> None:
    frame = pd.DataFrame(
        {
            "symbol": ["SPX", "SPX", "SPX"],
            "date": ["2018-03-01", "2018-03-02", "2018-03-02"],
            "bid": ["2713.5", "2720.0", "2719.0"],
            "ask": ["2714.0", "2719.5", "2719.0"],
            "bid_size": ["10", "-1", "4"],
            "ask_size": ["12", "3", "4"],
            "buy_volume": ["1000", "900", "800"],
            "sell_volume": ["800", "x", "700"],
        }
    )
    with pytest.raises(MarketDataError) as raised:
        validate_quote_summaries(frame, "summaries.csv")
    found = [p.describe() for p in raised.value.problems]
    assert any("row 3" in p and "'sell_volume': not a finite number (value: 'x')" in p for p in found)
    assert any("row 4" in p and "zero-width market" in p for p in found)
    assert any("row 4" in p and "same symbol and day" in p for p in found)
    clean = validate_quote_summaries(frame.iloc[[0]], "summaries.csv")
    assert list(clean.columns) == list(SUMMARY_COLUMNS) and clean["bid"].iloc[0] == 2713.5
