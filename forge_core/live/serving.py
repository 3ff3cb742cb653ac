"""Serving: the forecast of any symbol at any day's close from a live set loaded once by alias (a notebook, the
``forecast`` command, or a service), with its quantiles and calibrated intervals.

    server = ForecastServer.load(default_tracking_config(), ["rv_1d", "rv_5d"])     # champions, seconds
    with open_reader() as conn:                                                    # the readers' snapshot
        print(server.forecast(conn, ["^GSPC"], dt.date(2018, 12, 31)))             # milliseconds

A notebook calls ``forge_core.forecast`` (``front_door``), which does both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from forge_core.data.schema import VIX_SYMBOLS
from forge_core.live.daily_publication import day_histories
from forge_core.live.registry import LoadedSet, load_set
from forge_core.models.base import Runtime
from forge_core.roles import CHAMPION
from forge_core.targets import TargetSpec, configured_targets
from forge_core.tracking.config import TrackingConfig

SHOWN_SYMBOLS = 20  # how many known symbols an unknown one's message lists


class UnknownSymbol(LookupError):
    """A symbol the warehouse holds no bars of, or one that is only a model input (VIX)."""


def check_symbols(conn: duckdb.DuckDBPyConnection, symbols: Sequence[str]) -> None:
    """``UnknownSymbol`` for the first of ``symbols`` the warehouse has no bars of (listing the first known ones
    and how many there are), or that is an input with no forecasting models (VIX)."""
    stored = [s for (s,) in conn.execute("SELECT DISTINCT symbol FROM raw_prices ORDER BY symbol").fetchall()]
    known = [s for s in stored if s not in VIX_SYMBOLS]
    for symbol in symbols:
        if symbol in VIX_SYMBOLS:
            raise UnknownSymbol(f"{symbol} has no forecasting models (VIX is an input)")
        if symbol not in stored:
            more = f" and {len(known) - SHOWN_SYMBOLS} more" if len(known) > SHOWN_SYMBOLS else ""
            raise UnknownSymbol(
                f"unknown symbol {symbol}; known ({len(known)}): {', '.join(known[:SHOWN_SYMBOLS])}{more}"
            )


@dataclass(frozen=True)
class ForecastServer:
    """Live sets of some targets, loaded once (one alias for all)."""

    specs: dict[str, TargetSpec]
    sets: dict[str, LoadedSet]

    @classmethod
    def load(
        cls,
        config: TrackingConfig,
        targets: Sequence[str] = (),
        alias: str = CHAMPION,
        runtime: Runtime | None = None,
        versions: Mapping[str, int] | None = None,
    ) -> ForecastServer:
        """The ``alias`` set of every target in ``targets`` (default: every configured one), or for a target in
        ``versions`` that registry version (labelled ``alias``). ``MissingAlias`` naming the target without it;
        ValueError naming an unknown target and the configured ones."""
        configured = {spec.name: spec for spec in configured_targets()}
        unknown = sorted(set(targets) - set(configured))
        if unknown:
            raise ValueError(f"unknown targets {unknown}; configured: {sorted(configured)}")
        names = list(targets) or list(configured)
        pinned = versions or {}
        return cls(
            {n: configured[n] for n in names},
            {n: load_set(config, n, alias, runtime, pinned.get(n)) for n in names},
        )

    def forecast_histories(self, target: str, histories: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Forecasts of ``target`` at the last row of each symbol's feature history (no warehouse read)."""
        loaded = self.sets[target]
        return loaded.fitted.forecast(histories).assign(
            target=target, model=loaded.fitted.member, model_version=loaded.version, alias=loaded.alias
        )

    def forecast(self, conn: duckdb.DuckDBPyConnection, symbols: Sequence[str], day: dt.date) -> pd.DataFrame:
        """Every loaded target's forecast of ``symbols`` made at the close of ``day``, read from the warehouse.
        ``UnknownSymbol`` for a symbol without bars (or VIX); KeyError naming symbols without features that day (or
        without a model)."""
        frames = []
        for target, spec in self.specs.items():
            try:
                histories = day_histories(conn, spec, day, symbols, self.sets[target].fitted.rows_needed())
            except LookupError:
                check_symbols(conn, symbols)  # an unknown symbol says so before the day does
                raise
            missing = sorted(set(symbols) - set(histories))
            if missing:
                check_symbols(conn, missing)
                raise KeyError(f"no daily features on {day} for {missing}")
            frames.append(self.forecast_histories(target, {s: histories[s] for s in symbols}))
        return pd.concat(frames, ignore_index=True)
