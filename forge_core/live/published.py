"""What the daily job published, read back without loading a model: no MLflow, no torch.

The ``forecast`` command and the notebook's front door answer from here when the day's forecasts are published
(``daily_forecasts``, through the reader snapshot), and load a set only for a day that is not: a published
forecast is what the set gave at that close, so reading it back gives the same numbers as recomputing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from forge_core.quantiles import BOUND_COLUMNS, QUANTILE_COLUMNS
from forge_core.roles import Role

# The columns a served forecast has (``ForecastServer.forecast``), in its order.
SERVED_COLUMNS = [
    "symbol", "date", "forecast", *QUANTILE_COLUMNS, "raw_forecast", *BOUND_COLUMNS, "skewed",
    "target", "model", "model_version", "alias",
]  # fmt: skip


class NoFeatures(LookupError):
    """A day without daily features for the target's symbols: nothing can be published for it."""


def last_feature_days(conn: duckdb.DuckDBPyConnection, count: int) -> list[dt.date]:
    """The last ``count`` days with daily features (fewer when there are fewer), oldest first; NoFeatures if there
    is none."""
    found = conn.execute(
        "SELECT DISTINCT date FROM daily_features ORDER BY date DESC LIMIT ?", [count]
    ).fetchall()
    if not found:
        raise NoFeatures("daily_features is empty: ingest market data and build its features first")
    return [day for (day,) in reversed(found)]


def last_feature_day(conn: duckdb.DuckDBPyConnection) -> dt.date:
    """The last day with daily features; NoFeatures if there is none (``max``: no sort, as the CLI's fast path
    needs)."""
    found = conn.execute("SELECT max(date) FROM daily_features").fetchall()[0][0]
    if found is None:
        raise NoFeatures("daily_features is empty: ingest market data and build its features first")
    day: dt.date = found
    return day


def published_forecasts(
    conn: duckdb.DuckDBPyConnection, symbols: Sequence[str], day: dt.date, targets: Sequence[str], alias: str
) -> pd.DataFrame | None:
    """The forecasts the ``alias`` set (``champion`` or ``challenger``: the roles a set publishes under) of each
    of ``targets`` published for ``symbols`` at the close of ``day``, as ``SERVED_COLUMNS``; None unless every
    symbol and target has one (another alias, a day not published, a symbol the set skipped), so that the caller
    loads the sets instead."""
    if alias not in (Role.CHAMPION, Role.CHALLENGER) or not symbols or not targets:
        return None
    try:
        rows = conn.execute(
            f"SELECT symbol, as_of, target, model, model_version, forecast, raw_forecast, skewed, "
            f"{', '.join([*QUANTILE_COLUMNS, *BOUND_COLUMNS])} FROM daily_forecasts "
            "WHERE as_of = $day AND role = $role AND list_contains($symbols, symbol) "
            "AND list_contains($targets, target) ORDER BY list_position($targets, target), "
            "list_position($symbols, symbol)",
            {"day": day, "role": alias, "symbols": list(symbols), "targets": list(targets)},
        ).df()
    except duckdb.CatalogException:  # nothing published yet: the table does not exist
        return None
    if len(rows) != len(symbols) * len(targets) or rows["raw_forecast"].isna().any():
        return None  # rows published before the point correction lack the raw forecast: recompute those
    out = rows.rename(columns={"as_of": "date"}).assign(
        date=pd.to_datetime(rows["as_of"]).astype("datetime64[ns]"), alias=alias
    )
    return out.astype({"skewed": bool, "model_version": int})[SERVED_COLUMNS].reset_index(drop=True)


def last_published_day(conn: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last close with published forecasts (None: nothing published yet)."""
    try:
        found: dt.date | None = conn.execute("SELECT max(as_of) FROM daily_forecasts").fetchall()[0][0]
    except duckdb.CatalogException:
        return None
    return found


def champion_version_on(conn: duckdb.DuckDBPyConnection, target: str, day: dt.date) -> int | None:
    """The registry version of ``target`` that was champion at the close of ``day``: the one that published as
    champion on the last day published up to ``day`` (MLflow keeps no history of its aliases); None before the
    first publication."""
    try:
        found = conn.execute(
            "SELECT model_version FROM daily_forecasts WHERE target = ? AND role = ? AND as_of <= ? "
            "ORDER BY as_of DESC LIMIT 1",
            [target, Role.CHAMPION.value, day],
        ).fetchall()
    except duckdb.CatalogException:
        return None
    return int(found[0][0]) if found else None
