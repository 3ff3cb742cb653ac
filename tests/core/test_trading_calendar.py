"""Trading calendars: XNYS holidays and unscheduled closures, every weekday for the synthetic market, one clear line
for an unknown name; and the bundled data trade on exactly the XNYS sessions."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from forge_core.data.trading_calendar import (
    UnknownCalendar,
    calendar_name,
    source_calendar,
    trading_calendar,
)
from forge_resources import MarketDataResource

D = dt.date
CLOSED = [  # weekdays on which the NYSE did not trade
    D(2001, 9, 11), D(2001, 9, 12), D(2001, 9, 13), D(2001, 9, 14),  # the attacks of 11 September
    D(2004, 6, 11),  # President Reagan's funeral
    D(2007, 1, 2),  # President Ford's funeral
    D(2012, 10, 29), D(2012, 10, 30),  # hurricane Sandy
    D(2018, 12, 5),  # President G. H. W. Bush's funeral
    D(2018, 12, 25), D(2019, 1, 1), D(2018, 7, 4), D(2018, 11, 22), D(2018, 3, 30),  # Christmas .. Good Friday
]  # fmt: skip


def test_xnys_knows_the_holidays_and_the_unscheduled_closures() -> None:
    xnys = trading_calendar()
    assert xnys.name == "XNYS"
    assert [day for day in CLOSED if xnys.is_session(day)] == []
    assert xnys.is_session(D(2018, 12, 24)) and xnys.is_session(D(2001, 9, 17))  # a half day; the reopening
    assert not xnys.is_session(D(2018, 12, 22))  # a Saturday
    assert xnys.sessions(D(2018, 12, 21), D(2019, 1, 3)) == [
        D(2018, 12, 21), D(2018, 12, 24), D(2018, 12, 26), D(2018, 12, 27), D(2018, 12, 28), D(2018, 12, 31),
        D(2019, 1, 2), D(2019, 1, 3),
    ]  # fmt: skip
    assert xnys.sessions(D(2018, 12, 25), D(2018, 12, 25)) == []
    assert xnys.sessions(D(2018, 12, 27), D(2018, 12, 26)) == []


def test_weekdays_have_no_holiday_and_each_source_has_its_calendar() -> None:
    weekdays = trading_calendar("weekdays")
    assert all(weekdays.is_session(day) for day in CLOSED)
    assert not weekdays.is_session(D(2018, 12, 23))  # a Sunday
    assert len(weekdays.sessions(D(2018, 1, 1), D(2018, 12, 31))) == 261
    assert source_calendar("bundled").name == "XNYS" and source_calendar("files").name == "XNYS"
    assert source_calendar("synthetic").name == "weekdays"  # the synthetic market trades every weekday
    assert source_calendar("synthetic", "XNYS").name == "XNYS"  # told otherwise
    assert MarketDataResource(source="synthetic").trading_calendar().name == "weekdays"
    assert MarketDataResource(calendar="xlon").trading_calendar().name == "XLON"
    assert not trading_calendar("XLON").is_session(
        D(2018, 12, 26)
    )  # Boxing Day in London, a session in New York


def test_names_are_case_insensitive_and_an_unknown_one_is_one_line_listing_the_accepted() -> None:
    assert calendar_name(" xnys ") == "XNYS" and calendar_name("Weekdays") == "weekdays"
    assert trading_calendar("NYSE").sessions(D(2018, 12, 24), D(2018, 12, 26)) == [
        D(2018, 12, 24),
        D(2018, 12, 26),
    ]
    with pytest.raises(UnknownCalendar) as raised:
        trading_calendar("NOPE")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("unknown trading calendar 'NOPE': use 'weekdays' or an exchange_calendars name")
    assert all(name in message for name in ("XNYS", "XLON", "XTKS", "NYSE"))
    with pytest.raises(ValueError, match="unknown trading calendar 'NOPE'"):  # pydantic says which field
        MarketDataResource(calendar="NOPE")


def test_days_outside_the_recorded_sessions_are_refused_by_name() -> None:
    with pytest.raises(
        ValueError, match=r"1960-01-04 .. 1960-01-08 reaches outside the XNYS calendar's sessions"
    ):
        trading_calendar().sessions(D(1960, 1, 4), D(1960, 1, 8))


def test_the_bundled_data_trade_on_exactly_the_xnys_sessions(bundled_bars: pd.DataFrame) -> None:
    xnys = trading_calendar()
    for symbol, rows in bundled_bars.groupby("symbol"):
        days = sorted(pd.to_datetime(rows["date"]).dt.date)
        sessions = xnys.sessions(days[0], days[-1])
        assert sorted(set(days) ^ set(sessions)) == [], (
            symbol
        )  # no bar on a holiday, no session without a bar
    spans = {s: (str(r["date"].min().date()), len(r)) for s, r in bundled_bars.groupby("symbol")}
    assert spans == {
        "^GSPC": ("1999-01-04", 5031),
        "^IXIC": ("1999-01-04", 5031),
        "^VIX": ("2014-01-03", 1259),
    }
