"""The trading sessions of a live run: every asset of the daily job works on the sessions among its days.

A weekday that is not a session of the source's trading calendar (``MarketDataResource.trading_calendar``: XNYS for
the bundled data and files, every weekday for the synthetic market) is a holiday. A run whose days hold no session
is a skip, not a failure: each asset succeeds, writes nothing, logs and records "no trading session on <day>", and
reports its checks passed with the same words. A session whose bars have not arrived is late data, and
``market_close`` fails on it (``late_sessions``), naming the session and the source's last day.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult

from forge_assets.partitions import partition_days
from forge_core.data.schema import VIX_SYMBOLS
from forge_resources import MarketDataResource


def run_sessions(context: AssetExecutionContext, market_data: MarketDataResource) -> list[dt.date]:
    """The sessions among the run's live days, in order (empty: a holiday)."""
    days = partition_days(context)
    return market_data.trading_calendar().sessions(days[0], days[-1])


def no_session(context: AssetExecutionContext) -> str:
    """The sentence of a run without sessions: "no trading session on 2018-12-25" (or on a first .. last range)."""
    days = partition_days(context)
    span = str(days[0]) if days[0] == days[-1] else f"{days[0]} .. {days[-1]}"
    return f"no trading session on {span}"


def holiday(context: AssetExecutionContext, market_data: MarketDataResource) -> MaterializeResult:
    """The result of an asset on a run without sessions: nothing written, said in the log and the metadata; each
    of its checks passed, with the same words (there is nothing to check)."""
    why = no_session(context)
    calendar = market_data.trading_calendar().name
    context.log.info(f"{context.asset_key.to_user_string()}: {why} ({calendar} calendar); nothing written")
    return MaterializeResult(
        metadata={"dagster/row_count": 0, "skipped": why, "calendar": calendar},
        check_results=[
            AssetCheckResult(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=True,
                metadata={"skipped": why},
            )
            for spec in context.assets_def.check_specs
        ],
    )


def late_sessions(
    bars: pd.DataFrame, sessions: list[dt.date], market_data: MarketDataResource
) -> ValueError | None:
    """The error for the sessions among ``sessions`` on which no traded symbol has a bar (a volatility index
    alone does not make a close): late data when they are after the source's last day, missing days otherwise;
    None when every session has its bars. Its first line names the sessions and the source's last day."""
    traded = bars[~bars["symbol"].isin(VIX_SYMBOLS)]
    with_bars = set(pd.to_datetime(traded["date"]).dt.date)
    missing = [day for day in sessions if day not in with_bars]
    if not missing:
        return None
    span = market_data.available_span()
    last = span[1] if span is not None else None
    calendar = market_data.trading_calendar().name
    named = ", ".join(map(str, missing[:5])) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    sessions_word = "session" if len(missing) == 1 else "sessions"
    held = f"whose last day is {last}" if last is not None else "which holds no bars at all"
    if last is None or missing[0] > last:
        return ValueError(
            f"late data: no bars for the {calendar} {sessions_word} {named} in the '{market_data.source}' "
            f"source, {held}. Nothing was written; run the day again once its bars have arrived."
        )
    return ValueError(
        f"missing data: no bars for the {calendar} {sessions_word} {named} in the '{market_data.source}' "
        f"source, {held}. Nothing was written; add the day's bars, or set the source's trading calendar "
        "(market_data.calendar) if it trades on another one."
    )
