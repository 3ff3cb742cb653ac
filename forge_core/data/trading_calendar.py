"""Which weekdays are trading sessions: an exchange's calendar, or every weekday.

A source trades on a calendar: ``XNYS`` (the New York Stock Exchange, from the ``exchange_calendars`` package, whose
holidays and unscheduled closures ship inside it: nothing is downloaded) for the bundled data and a files folder,
``weekdays`` (Monday to Friday, no holiday) for the synthetic market. Any ``exchange_calendars`` name or alias
(``XLON``, ``XTKS``, ``NYSE``, ...) may replace a source's own. The live path asks it whether a day is a session: a
weekday that is not is a holiday, skipped; a session without bars is late data.

The bundled ``^GSPC`` and ``^IXIC`` (1999-01-04 .. 2018-12-31, 5,031 days each) and ``^VIX`` (2014-01-03 ..
2019-01-03) trade on exactly the XNYS sessions: no day of theirs is a holiday, no session lacks a bar (the
closures of 2001-09-11 .. 14, 2004-06-11, 2007-01-02, 2012-10-29 .. 30 and 2018-12-05 included).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

WEEKDAYS = "weekdays"
DEFAULT_CALENDAR = "XNYS"
SOURCE_CALENDARS = {"bundled": DEFAULT_CALENDAR, "files": DEFAULT_CALENDAR, "synthetic": WEEKDAYS}
FIRST_DAY = dt.date(1970, 1, 1)  # an exchange calendar's sessions from here (or its own first recorded year)


class UnknownCalendar(ValueError):
    """A calendar name that is neither ``weekdays`` nor an ``exchange_calendars`` name or alias."""


def exchange_names() -> list[str]:
    """The ``exchange_calendars`` names and aliases, sorted (``XNYS``, ``NYSE``, ``XLON``, ...).

    Returns
    -------
    list of str
        Every name ``trading_calendar`` accepts besides ``weekdays``.
    """
    import exchange_calendars as xc

    names: list[str] = xc.get_calendar_names(include_aliases=True)
    return sorted(names)


def calendar_name(name: str) -> str:
    """The canonical form of a calendar name: ``weekdays``, or an exchange name in upper case (aliases kept).

    Parameters
    ----------
    name : str
        ``weekdays`` or an ``exchange_calendars`` name or alias, in any case.

    Returns
    -------
    str
        The name as ``trading_calendar`` keys it.

    Raises
    ------
    UnknownCalendar
        One line naming the value and listing the accepted names.
    """
    cleaned = name.strip()
    if cleaned.lower() == WEEKDAYS:
        return WEEKDAYS
    names = exchange_names()
    if cleaned.upper() in names:
        return cleaned.upper()
    if cleaned in names:  # names such as 'us_futures' are lower case
        return cleaned
    raise UnknownCalendar(
        f"unknown trading calendar {name!r}: use '{WEEKDAYS}' or an exchange_calendars name "
        f"({DEFAULT_CALENDAR} by default): {', '.join(names)}"
    )


@dataclass(frozen=True)
class TradingCalendar:
    """The sessions of one calendar.

    Parameters
    ----------
    name : str
        The canonical name (see ``calendar_name``).
    """

    name: str

    def sessions(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The sessions from ``first`` to ``last``, both included.

        Parameters
        ----------
        first, last : datetime.date
            The days asked about.

        Returns
        -------
        list of datetime.date
            The sessions among them, in order; empty when there is none.

        Raises
        ------
        ValueError
            A day outside the days the exchange's calendar records, naming them.
        """
        if last < first:
            return []
        if self.name == WEEKDAYS:
            days = pd.bdate_range(first, last)
            return [day.date() for day in days]
        recorded = _exchange_sessions(self.name)
        if first < recorded[0] or last > recorded[-1]:
            raise ValueError(
                f"{first} .. {last} reaches outside the {self.name} calendar's sessions "
                f"({recorded[0]} .. {recorded[-1]})"
            )
        lo = int(np.searchsorted(recorded, np.datetime64(first, "D"), side="left"))
        hi = int(np.searchsorted(recorded, np.datetime64(last, "D"), side="right"))
        return [day.item() for day in recorded[lo:hi]]

    def is_session(self, day: dt.date) -> bool:
        """Whether ``day`` is a session.

        Parameters
        ----------
        day : datetime.date
            The day asked about.

        Returns
        -------
        bool
            True on a session, False on a weekend or holiday.
        """
        return bool(self.sessions(day, day))


def trading_calendar(name: str = DEFAULT_CALENDAR) -> TradingCalendar:
    """The calendar named ``name``.

    Parameters
    ----------
    name : str, default ``XNYS``
        ``weekdays`` or an ``exchange_calendars`` name or alias.

    Returns
    -------
    TradingCalendar
        Its sessions are computed on first use and kept for the process.

    Raises
    ------
    UnknownCalendar
        One line naming the value and listing the accepted names.
    """
    return TradingCalendar(calendar_name(name))


def source_calendar(source: str, configured: str = "") -> TradingCalendar:
    """The calendar of a market data source: ``configured`` when given, else the source's own.

    Parameters
    ----------
    source : str
        ``bundled``, ``files`` or ``synthetic``.
    configured : str, default ""
        A calendar name that replaces the source's own; empty: the source's own (``SOURCE_CALENDARS``).

    Returns
    -------
    TradingCalendar
        XNYS for the bundled data and a files folder, every weekday for the synthetic market, unless told.
    """
    return trading_calendar(configured.strip() or SOURCE_CALENDARS.get(source, DEFAULT_CALENDAR))


@functools.cache
def _exchange_sessions(name: str) -> np.ndarray[Any, np.dtype[np.datetime64]]:
    """The sessions an exchange calendar records, as sorted ``datetime64[D]``: from ``FIRST_DAY`` (or the first
    day its holidays are recorded) through a year after today."""
    import exchange_calendars as xc

    try:
        calendar = xc.get_calendar(name, start=pd.Timestamp(FIRST_DAY))
    except ValueError:  # its holidays are recorded from a later day only
        calendar = xc.get_calendar(name, start=xc.get_calendar(name).bound_min())
    sessions = calendar.sessions
    return np.asarray(sessions.values.astype("datetime64[D]"))
