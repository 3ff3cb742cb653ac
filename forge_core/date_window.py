"""Date windows: half-open ranges of days that a partition, a walk-forward window or a run owns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class DateWindow:
    """Half-open date range [start, end): the dates a partition (or a range of partitions) owns."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"empty date window [{self.start}, {self.end})")

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def params(self) -> dict[str, dt.date]:
        return {"start": self.start, "end": self.end}


def monthly_windows(first: dt.date, last: dt.date) -> list[DateWindow]:
    """Calendar months [1st, next 1st) from the month of ``first`` through the month of ``last``."""
    return _calendar_windows(first, last, months=1)


def yearly_windows(first: dt.date, last: dt.date) -> list[DateWindow]:
    """Calendar years from the year of ``first`` through the year of ``last``."""
    return _calendar_windows(first.replace(month=1), last, months=12)


def _calendar_windows(first: dt.date, last: dt.date, months: int) -> list[DateWindow]:
    starts = pd.date_range(first.replace(day=1), last, freq=f"{months}MS")
    return [DateWindow(s.date(), (s + pd.DateOffset(months=months)).date()) for s in starts]
