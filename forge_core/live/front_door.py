"""The front door for a notebook: the forecasts of the live sets in one call.

    import forge_core

    result = forge_core.forecast(["^GSPC", "^IXIC"])  # every target's champion, at the last close
    result.frame                                      # one row per symbol and target
    result.point                                      # the published points, by (symbol, target)
    result.band(0.9)                                  # the 90% band, by (symbol, target)
    result.models                                     # which model, version and alias made each target's

It reads the warehouse through its reader snapshot (never the live file, which would block the writer). A day the
daily job published for the alias (``champion`` or ``challenger``) is read back from ``daily_forecasts`` with no
model loaded; any other day loads the sets from the registry of the default tracking settings (``FORGE_HOME``, or
``FORGE_MLFLOW_*``) and computes the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from forge_core import settings
from forge_core.live.published import last_feature_day, published_forecasts
from forge_core.quantiles import bound_column
from forge_core.roles import CHAMPION
from forge_core.targets import configured_targets
from forge_core.warehouse.reader_snapshots import open_reader

KEYS = ["symbol", "target"]


@dataclass(frozen=True)
class ForecastResult:
    """Forecasts made at the close of ``as_of``: ``frame`` holds one row per symbol and target (the published
    point ``forecast``, the model's ``raw_forecast``, quantiles, bands, ``model``, ``model_version``, ``alias``)."""

    as_of: dt.date
    frame: pd.DataFrame

    @property
    def point(self) -> pd.Series:
        """The published point forecast of the mean daily variance, by (symbol, target)."""
        return self.frame.set_index(KEYS)["forecast"]

    def band(self, level: float) -> pd.DataFrame:
        """The ``level`` band (e.g. 0.9) as ``lower`` and ``upper``, by (symbol, target)."""
        columns = {bound_column("lower", level): "lower", bound_column("upper", level): "upper"}
        return self.frame.set_index(KEYS)[list(columns)].rename(columns=columns)

    @property
    def models(self) -> pd.DataFrame:
        """Which registered model, version and alias made each target's forecasts."""
        return self.frame[["target", "model", "model_version", "alias"]].drop_duplicates(ignore_index=True)


def forecast(
    symbols: str | Sequence[str],
    as_of: dt.date | None = None,
    targets: Sequence[str] = (),
    alias: str = CHAMPION,
) -> ForecastResult:
    """The ``alias`` sets' forecasts of ``symbols`` for ``targets`` (default: every configured one) at the close of
    ``as_of`` (default: the last day with features).

    Raises ``UnknownSymbol`` naming a symbol the warehouse does not hold (and the known ones), ``MissingAlias``
    naming a target without the alias, FileNotFoundError when nothing has been written to the warehouse yet."""
    names = [symbols] if isinstance(symbols, str) else list(symbols)
    wanted = list(targets) or [spec.name for spec in configured_targets()]
    with open_reader(settings.WAREHOUSE.value() or settings.warehouse_path()) as conn:
        day = as_of or last_feature_day(conn)
        published = published_forecasts(conn, names, day, wanted, alias)
        if published is not None:  # what the daily job published that day: no model to load
            return ForecastResult(day, published)
        from forge_core.live.serving import ForecastServer  # MLflow, and torch for a net: only on this path
        from forge_core.tracking.config import default_tracking_config

        server = ForecastServer.load(default_tracking_config(), targets, alias)
        return ForecastResult(day, server.forecast(conn, names, day))
