"""The real daily data that ships inside the ``arch`` package, under the indices' own ticker symbols.

- ``^GSPC``: S&P 500 index, daily OHLCV, 1999-01-04 .. 2018-12-31 (``arch.data.sp500``).
  Before about 2006 its Open mostly equals the previous Close, so open-based proxies are biased there.
- ``^IXIC``: NASDAQ Composite index, daily OHLCV, same span (``arch.data.nasdaq``).
- ``^VIX``: CBOE VIX close, 2014-01-03 .. 2019-01-03 (``arch.data.vix``). arch ships only the close, so the
  bar is stored with open = high = low = close and zero volume; the days arch leaves empty are absent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from forge_core.data.validation import validate_ohlcv

_ARCH_COLUMNS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Adj Close": "adj_close"}


def _index_bars(load: Callable[[], pd.DataFrame], symbol: str) -> pd.DataFrame:
    bars = load().rename(columns={**_ARCH_COLUMNS, "Volume": "volume"})
    return bars.rename_axis("date").reset_index().assign(symbol=symbol)


def _vix_bars() -> pd.DataFrame:
    from arch.data import vix

    level = vix.load()["vix"].dropna()
    return pd.DataFrame(
        {
            "symbol": "^VIX",
            "date": level.index,
            **{column: level.to_numpy() for column in ("open", "high", "low", "close", "adj_close")},
            "volume": 0.0,
        }
    )


class BundledSource:
    """S&P 500, NASDAQ Composite and VIX daily data from the ``arch`` package (no download)."""

    name = "bundled"
    symbols: tuple[str, ...] = ("^GSPC", "^IXIC", "^VIX")

    def __init__(self) -> None:
        self._bars: pd.DataFrame | None = None

    def _all_bars(self) -> pd.DataFrame:
        if self._bars is None:
            from arch.data import nasdaq, sp500  # arch loads its models too: only when the data is read

            frames = [_index_bars(sp500.load, "^GSPC"), _index_bars(nasdaq.load, "^IXIC"), _vix_bars()]
            self._bars = validate_ohlcv(
                pd.concat(frames, ignore_index=True), "bundled:arch.data", first_row_number=1
            )
        return self._bars

    def load(self, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Validated canonical rows with ``start <= date <= end``."""
        bars = self._all_bars()
        dates = bars["date"].dt.date
        return bars[(dates >= start) & (dates <= end)].reset_index(drop=True)
