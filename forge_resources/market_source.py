"""The market data source as a Dagster resource, chosen by configuration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pandas as pd
from dagster import ConfigurableResource, EnvVar
from pydantic import Field, field_validator

from forge_core.data.files import FileSource
from forge_core.data.schema import VIX_SYMBOLS
from forge_core.data.sources import MarketDataSource, make_source
from forge_core.data.synthetic import RegimeShift, SyntheticSource
from forge_core.data.trading_calendar import SOURCE_CALENDARS, TradingCalendar, calendar_name, source_calendar
from forge_core.data.validation import DEFAULT_MAX_ABS_LOG_RETURN, DEFAULT_PRICE_RANGE, CheckedBars
from forge_core.date_window import DateWindow
from forge_core.options.quote_files import (
    OPTIONS_FOLDER,
    QUOTES_FOLDER,
    load_option_quotes,
    load_quote_summaries,
)
from forge_core.options.synthetic_chains import option_chains, quote_summaries


class MarketDataResource(ConfigurableResource):
    """Where daily OHLCV comes from: ``bundled`` (S&P 500, NASDAQ, VIX from arch), ``files`` or ``synthetic``.

    The resource reads no environment variable itself. ``forge_jobs.resources.resources_from_env`` fills
    ``source`` from FORGE_SOURCE (a plain value: a choice), ``files_path`` from FORGE_FILES_PATH,
    ``synthetic_symbols``/``synthetic_seed`` from FORGE_SYNTHETIC_SYMBOLS/FORGE_SYNTHETIC_SEED (``EnvVar.int``) and
    ``synthetic_start`` and ``synthetic_shift`` from FORGE_SYNTHETIC_START and FORGE_SYNTHETIC_SHIFT (``EnvVar``),
    each only when set."""

    source: Literal["bundled", "files", "synthetic"] = Field(default="bundled")
    files_path: str = Field(default="", description="Folder of CSV/Parquet files (source 'files').")
    synthetic_symbols: int = Field(default=5, description="Number of synthetic symbols, at least 1.")
    synthetic_seed: int = Field(default=7, description="Seed of the synthetic market.")
    synthetic_start: str = Field(
        default="2000-01-03", description="First trading day of the synthetic market."
    )
    synthetic_shift: str = Field(
        default="",
        description=(
            "A volatility regime shift of the synthetic market: YYYY-MM-DD (volatility doubles from that day) or "
            "YYYY-MM-DD*ratio; empty: none."
        ),
    )
    max_abs_log_return: float = Field(
        default=DEFAULT_MAX_ABS_LOG_RETURN,
        description="Files: a daily |log return| beyond this is implausible (0 turns the check off).",
    )
    min_price: float = Field(
        default=DEFAULT_PRICE_RANGE[0], description="Files: prices below this are implausible."
    )
    max_price: float = Field(
        default=DEFAULT_PRICE_RANGE[1], description="Files: prices above this are implausible."
    )
    plausibility: Literal["refuse", "flag"] = Field(
        default="refuse",
        description=(
            "Files: 'refuse' fails the load on an implausible row, naming it; 'flag' stores it and reports it "
            "in raw_prices' non-blocking raw_prices_plausibility check."
        ),
    )

    calendar: str = Field(
        default="",
        description=(
            "Trading calendar that decides which weekdays are sessions (a weekday that is not is a holiday the "
            "live path skips): 'weekdays' or an exchange_calendars name such as XNYS, XLON, XTKS; empty: the "
            f"source's own ({', '.join(f'{k} {v}' for k, v in SOURCE_CALENDARS.items())})."
        ),
    )

    @field_validator("calendar", mode="before")  # before: pydantic turns an EnvVar into a plain str
    @classmethod
    def _known_calendar(cls, value: object) -> object:
        if (
            isinstance(value, str) and not isinstance(value, EnvVar) and value.strip()
        ):  # FORGE_CALENDAR: at load
            calendar_name(value)  # one line naming the value and the accepted names
        return value

    def trading_calendar(self) -> TradingCalendar:
        """The source's trading calendar: ``calendar`` when set, else XNYS (bundled, files) or every weekday
        (synthetic)."""
        return source_calendar(self.source, self.calendar)

    @field_validator("synthetic_symbols", mode="before")
    @classmethod
    def _at_least_one_symbol(cls, value: object) -> object:
        # An ``EnvVar.int`` stands for 0 until Dagster resolves it (then this runs again on the real int),
        # so it cannot carry a ``ge=1`` constraint; the bound is checked here on real values only.
        if isinstance(value, int) and not hasattr(value, "env_var_name") and value < 1:
            raise ValueError(f"synthetic_symbols must be at least 1, got {value}")
        return value

    def _source(self) -> MarketDataSource:
        return make_source(
            self.source,
            files_path=self.files_path or None,
            synthetic_symbols=self.synthetic_symbols,
            synthetic_seed=self.synthetic_seed,
            synthetic_start=dt.date.fromisoformat(self.synthetic_start),
            synthetic_shift=RegimeShift.parse(self.synthetic_shift) if self.synthetic_shift else None,
            max_abs_log_return=self.max_abs_log_return or None,
            price_range=(self.min_price, self.max_price),
            plausibility_mode=self.plausibility,
        )

    def load(self, window: DateWindow) -> CheckedBars:
        """Validated rows of every symbol dated inside ``window``, with the implausible rows accepted in mode
        ``flag``; raises MarketDataError on bad input."""
        source = self._source()
        if isinstance(source, FileSource):
            return source.load_checked(window.start, window.last_day)
        return CheckedBars(source.load(window.start, window.last_day))

    def option_quotes(self, window: DateWindow) -> pd.DataFrame | None:
        """Validated option quotes dated inside ``window`` (the synthetic market's chains, or the files source's
        ``options/`` folder); None when the source has none. MarketDataError on bad input."""
        return self._quote_data(window, option_chains, OPTIONS_FOLDER, load_option_quotes)

    def quote_summaries(self, window: DateWindow) -> pd.DataFrame | None:
        """Validated daily quote summaries dated inside ``window`` (synthetic, or the files source's ``quotes/``
        folder); None when the source has none. MarketDataError on bad input."""
        return self._quote_data(window, quote_summaries, QUOTES_FOLDER, load_quote_summaries)

    def _quote_data(
        self,
        window: DateWindow,
        synthetic: Callable[[SyntheticSource, dt.date, dt.date], pd.DataFrame],
        folder: str,
        load: Callable[[Path, dt.date, dt.date], pd.DataFrame],
    ) -> pd.DataFrame | None:
        """The synthetic market's rows, the files source's ``folder``, or None (a source without them)."""
        source = self._source()
        if isinstance(source, SyntheticSource):
            return synthetic(source, window.start, window.last_day)
        if isinstance(source, FileSource) and (source.path / folder).is_dir():
            return load(source.path, window.start, window.last_day)
        return None

    def available_span(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day of the source's traded symbols (of its volatility indices when it holds nothing
        else, as ``forge_core.data.span`` counts; None when it holds nothing); reads the whole source, so it is
        for error messages, not for the normal path."""
        bars = self._source().load(dt.date(1900, 1, 1), dt.date.today())
        traded = bars[~bars["symbol"].isin(VIX_SYMBOLS)]
        dates = (traded if not traded.empty else bars)["date"]
        if dates.empty:
            return None
        return pd.Timestamp(dates.min()).date(), pd.Timestamp(dates.max()).date()
