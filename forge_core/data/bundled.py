"""The real daily data that ships inside the ``arch`` package, under the indices' own ticker symbols.

- ``^GSPC``: S&P 500 index, daily OHLCV, 1999-01-04 .. 2018-12-31 (``arch.data.sp500``).
  Before about 2006 its Open mostly equals the previous Close, so open-based proxies are biased there.
- ``^IXIC``: NASDAQ Composite index, daily OHLCV, same span (``arch.data.nasdaq``).
- ``^VIX``: CBOE VIX close, 2014-01-03 .. 2019-01-03 (``arch.data.vix``). arch ships only the close, so the
  bar is stored with open = high = low = close and zero volume; the days arch leaves empty are absent.

The files are read from arch's folder without importing ``arch``, whose package loads its models (and matplotlib
with them): the Dagster code location reads the data's span when it starts.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pandas as pd

from forge_core.data.validation import validate_ohlcv

_ARCH_COLUMNS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Adj Close": "adj_close"}


def _arch_data(name: str) -> pd.DataFrame:
    """``arch.data.<name>.load()``: its file, read as ``arch.data.utility.load_file`` reads it."""
    spec = importlib.util.find_spec("arch")  # finds the package without running it
    assert spec is not None and spec.submodule_search_locations is not None
    data = pd.read_csv(Path(spec.submodule_search_locations[0], "data", name, f"{name}.csv.gz"))
    data["Date"] = pd.to_datetime(data["Date"])
    data = data.set_index("Date")
    for column in data:
        data[column] = pd.to_numeric(data[column], errors="coerce")
    return data


def _index_bars(name: str, symbol: str) -> pd.DataFrame:
    bars = _arch_data(name).rename(columns={**_ARCH_COLUMNS, "Volume": "volume"})
    return bars.rename_axis("date").reset_index().assign(symbol=symbol)


def _vix_bars() -> pd.DataFrame:
    level = _arch_data("vix")["vix"].dropna()
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
            frames = [_index_bars("sp500", "^GSPC"), _index_bars("nasdaq", "^IXIC"), _vix_bars()]
            self._bars = validate_ohlcv(
                pd.concat(frames, ignore_index=True), "bundled:arch.data", first_row_number=1
            )
        return self._bars

    def load(self, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Validated canonical rows with ``start <= date <= end``."""
        bars = self._all_bars()
        dates = bars["date"].dt.date
        return bars[(dates >= start) & (dates <= end)].reset_index(drop=True)
