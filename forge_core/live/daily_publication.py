"""The daily forecasts of one day: what every live set of a target forecasts at that day's close.

Every version the target's live model has an alias for publishes once, under its strongest role (``champion`` >
``challenger`` > ``shadow``: previous champion and the ``shadow_<member>`` sets). Nothing is fitted: each set
forecasts from its saved models and frozen calibration. A symbol with features that day but no model in the
champion (it appeared after the last retraining, or had too little history for it) is skipped and named; it gets
forecasts after a retraining that fits it.

Each target publishes all of its sets or none: a target whose sets cannot be loaded (``registry.BrokenSet``)
publishes nothing and keeps the rows it had, while the others publish. ``write_day`` replaces only the rows of the
targets it is given, so a run that publishes the healthy targets and then fails, naming the others, is the one
deliberate exception to "a failed run leaves the warehouse as it was": each target's rows still change in one
transaction or not at all. With the fallback on, ``previous_champion`` publishes in the place of a champion that
cannot be loaded, and ``write_days`` records it in ``promotions`` (action ``fallback``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from forge_core.forecasting.panel import load_panel
from forge_core.live.fitted_set import FittedSet
from forge_core.live.published import NoFeatures
from forge_core.monitoring.promotion_log import FALLBACK, already_decided, record
from forge_core.quantiles import BOUND_COLUMNS, QUANTILE_COLUMNS
from forge_core.roles import Role
from forge_core.targets import TargetSpec
from forge_core.warehouse.partition_writes import Replacement, one_transaction, replace_in_transaction

DAILY_FORECAST_COLUMNS = [
    "symbol", "as_of", "target", "model", "role", "model_version", "run_id", "fitted_as_of", "fitted_qlike", "forecast",
    "raw_forecast", "skewed",
    *QUANTILE_COLUMNS, *BOUND_COLUMNS, "created_at",
]  # fmt: skip


@dataclass(frozen=True)
class Fallback:
    """A set (``version``, of member ``model``) publishing in the champion role in the place of the champion
    (``champion_version``), and why: the first line of the error loading the champion."""

    champion_version: int
    version: int
    model: str
    reason: str


@dataclass(frozen=True)
class PublishedSet:
    """A live set with the registry entry and role it publishes under (and the ``Fallback``, if it stands in for
    the champion)."""

    fitted: FittedSet
    version: int
    run_id: str
    role: Role
    fallback: Fallback | None = None


def strongest_roles(aliases: dict[str, int]) -> dict[int, Role]:
    """Version -> the strongest role among its aliases."""
    roles: dict[int, Role] = {}
    for alias, version in aliases.items():
        role = Role.of_alias(alias)
        if version not in roles or role.rank < roles[version].rank:
            roles[version] = role
    return roles


@dataclass
class Publication:
    """One day's rows of ``daily_forecasts`` for one target, the symbols skipped (symbol -> why) and the champion's
    ``Fallback``, if any."""

    target: str
    day: dt.date
    rows: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    fallback: Fallback | None = None


def history_start(day: dt.date, rows: int) -> dt.date:
    """The first calendar day a read must start at to hold ``rows`` feature rows up to ``day``: ``2 rows + 14``
    days before it (weekends and holidays), unless the symbol's data has a longer gap."""
    return day - dt.timedelta(days=2 * rows + 14)


def day_histories(
    conn: duckdb.DuckDBPyConnection,
    spec: TargetSpec,
    day: dt.date,
    symbols: Sequence[str] = (),
    rows: int | None = None,
) -> dict[str, pd.DataFrame]:
    """``histories_on`` the panel read up to ``day`` (of ``symbols`` only, if any are named). With ``rows`` (a
    set's ``rows_needed``), each history needs only its last ``rows`` rows: the read starts at ``history_start``,
    and a symbol that leaves short (a gap in its data) is read whole."""
    end = day + dt.timedelta(days=1)
    if rows is None:
        return histories_on(load_panel(conn, spec, end, symbols), spec, day, symbols)
    start = history_start(day, rows)
    try:
        histories = histories_on(load_panel(conn, spec, end, symbols, start), spec, day, symbols)
    except NoFeatures:  # named with the last day that has features, from the whole history
        return histories_on(load_panel(conn, spec, end, symbols), spec, day, symbols)
    short = [s for s, history in histories.items() if len(history) < rows]
    if short:
        histories |= histories_on(load_panel(conn, spec, end, short), spec, day, short)
    return histories


def histories_on(
    panel: pd.DataFrame, spec: TargetSpec, day: dt.date, symbols: Sequence[str] = ()
) -> dict[str, pd.DataFrame]:
    """Per symbol of ``panel`` (``load_panel`` rows, any end) with a feature row dated ``day``, its rows up to
    ``day`` (oldest first). ``NoFeatures`` naming the day (and ``symbols``, if named) and the last day with features
    before it when no symbol has any that day."""
    panel = panel[panel["date"] <= pd.Timestamp(day)]
    present = set(panel.loc[panel["date"] == pd.Timestamp(day), "symbol"])
    if not present:
        last = panel["date"].max()
        which = f" for {sorted(symbols)}" if symbols else ""
        raise NoFeatures(
            f"{spec.name}: no daily features on {day}{which} (last day with features: "
            f"{last.date() if pd.notna(last) else 'none'}); ingest that day and build its features first"
        )
    return {
        str(symbol): rows.reset_index(drop=True)
        for symbol, rows in panel[panel["symbol"].isin(present)].groupby("symbol", sort=True)
    }


def publish_day(
    histories: dict[str, pd.DataFrame], spec: TargetSpec, day: dt.date, sets: list[PublishedSet]
) -> Publication:
    """The rows every set in ``sets`` (one of them the champion) publishes for ``day``."""
    champion = [s for s in sets if s.role == Role.CHAMPION]
    if len(champion) != 1:
        raise ValueError(f"{spec.name}: publishing needs exactly one champion, got {len(champion)}")
    known = champion[0].fitted.symbols
    skipped = {
        s: (
            f"not in the champion fitted {champion[0].fitted.as_of} (new since, or too little history then: see "
            "live_models' short_histories); forecast after a retraining that fits it"
        )
        for s in histories
        if s not in known
    }
    created_at = pd.Timestamp.now(tz="UTC").tz_localize(None)
    frames = []
    for published in sorted(sets, key=lambda s: (s.role.rank, s.version)):
        mine = {s: h for s, h in histories.items() if s in published.fitted.symbols and s not in skipped}
        if not mine:
            continue
        frame = published.fitted.forecast(mine).rename(columns={"date": "as_of"})
        frames.append(
            frame.assign(
                target=spec.name,
                model=published.fitted.member,
                role=published.role.value,
                model_version=published.version,
                run_id=published.run_id,
                fitted_as_of=pd.Timestamp(published.fitted.as_of),
                fitted_qlike=published.fitted.recent_qlike,
                created_at=created_at,
            )
        )
    rows = pd.concat(frames, ignore_index=True)[DAILY_FORECAST_COLUMNS]
    stale = rows[rows["as_of"] != pd.Timestamp(day)]
    if not stale.empty:
        raise ValueError(f"{spec.name}: forecasts dated {stale['as_of'].iloc[0]} while publishing {day}")
    return Publication(spec.name, day, rows, skipped, champion[0].fallback)


def write_day(conn: duckdb.DuckDBPyConnection, day: dt.date, publications: list[Publication]) -> int:
    """Replace, for every publication's target, its rows of ``daily_forecasts`` dated ``day``, in one transaction
    (an enclosing ``one_transaction``'s, if any): a failure leaves the day as it was, and a target without a
    publication keeps its rows. Returns the rows written."""
    if any(p.day != day for p in publications):
        raise ValueError(f"publications of {sorted({p.day for p in publications})} written as {day}")
    rows = pd.concat([p.rows for p in publications], ignore_index=True)
    conn.register("incoming_daily_forecasts", rows.assign(as_of=rows["as_of"].dt.date))
    try:
        written = replace_in_transaction(
            conn,
            [
                Replacement(
                    "daily_forecasts",
                    "as_of = $as_of AND target = $target",
                    {"as_of": day, "target": p.target},
                    [("SELECT * FROM incoming_daily_forecasts WHERE target = $target", {})],
                )
                for p in publications
            ],
        )
    finally:
        conn.unregister("incoming_daily_forecasts")
    return sum(written)


def write_days(
    conn: duckdb.DuckDBPyConnection, published: Mapping[dt.date, list[Publication]], run_id: str
) -> int:
    """Write every day's publications (``write_day``) and append their fallbacks to ``promotions`` (once: a re-run
    of the same fallback on the same day is recognised), all in one transaction. Returns the rows written."""
    with one_transaction(conn):
        written = sum(write_day(conn, day, publications) for day, publications in published.items())
        for row in _fallback_decisions([p for ps in published.values() for p in ps], run_id):
            versions = (row["champion_version"], row["challenger_version"])
            if not already_decided(conn, row["decided_on"], row["target"], *versions, fallback=True):
                record(conn, row)
    return written


def _fallback_decisions(publications: Sequence[Publication], run_id: str) -> list[dict[str, Any]]:
    """The ``promotions`` rows of the publications' fallbacks, one per target and fallback: action ``fallback``,
    ``champion_version`` the version that published as champion, ``challenger_version`` the champion it stood in
    for, decided on the last of the days it did (``first_day``, ``last_day``, ``days``)."""
    days: dict[tuple[str, Fallback], list[dt.date]] = {}
    for p in publications:
        if p.fallback is not None:
            days.setdefault((p.target, p.fallback), []).append(p.day)
    return [
        {
            "decided_on": max(on),
            "target": target,
            "action": FALLBACK,
            "champion_version": f.version,
            "challenger_version": f.champion_version,
            "champion_model": f.model,
            "reason": f"previous_champion version {f.version} ({f.model}) published in the champion's place: "
            f"{f.reason}",
            "days": len(on),
            "first_day": min(on),
            "last_day": max(on),
            "run_id": run_id,
        }
        for (target, f), on in days.items()
    ]
