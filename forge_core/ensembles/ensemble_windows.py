"""Ensemble forecasts of walk-forward windows, from the member forecasts in the store: what an ensemble partition
(target x window) writes to ``forecasts`` and ``ensemble_weights``.

For each symbol the members' stored forecasts before the window (the days all members forecast) and in the
window form a ``MemberPanel``; the combiner walks it (a day's weights come only from forecasts realised by that
day's close) and the window's days are kept. The ensemble's quantiles average the members' log quantiles with
the day's weights, :math:`q_t(p) = \\exp \\sum_k w_{tk} \\log q_{tk}(p)`, which keeps them ordered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.ensembles.combination import combine_levels
from forge_core.ensembles.combiner import FEATURE_CONTEXT, REGIME_CONTEXT, UNKNOWN_REGIME, Combiner
from forge_core.ensembles.member_panel import MemberPanel
from forge_core.quantiles import QUANTILE_COLUMNS

ENSEMBLE_PREFIX = "ensemble_"
SHOWN_DAYS = 3
# the daily features ``load_features_with_regime`` reads for the combiners (with the regime)
CONTEXT_COLUMNS = FEATURE_CONTEXT


def ensemble_model(combiner: str) -> str:
    """The ``forecasts.model`` name of a combiner's ensemble, e.g. ``ensemble_stacking``."""
    return f"{ENSEMBLE_PREFIX}{combiner}"


class MissingMembers(ValueError):
    """Members without forecasts on days of a window the ensemble must forecast."""


@dataclass(frozen=True)
class EnsembleWindow:
    """One window of one ensemble: its ``forecasts`` rows, its ``ensemble_weights`` rows, the members it combined
    and those it left out (member -> reason), and how many of its rows had too little history for learnt
    weights (equal weights instead)."""

    target: str
    model: str
    window: DateWindow
    forecasts: pd.DataFrame
    weights: pd.DataFrame
    members: tuple[str, ...]
    left_out: dict[str, str] = field(default_factory=dict)
    fallback_rows: int = 0


@dataclass(frozen=True)
class SymbolCombination:
    """One symbol's ensemble over the days to combine (``combine_symbol``).

    Attributes
    ----------
    forecasts : pd.DataFrame
        Per day: ``date``, ``forecast``, the quantiles, ``train_rows`` and ``trained_through`` (``_learnt_from``).
    weights : pd.DataFrame
        Per day and member: ``date``, ``member``, ``weight``.
    fallback_days : pd.DatetimeIndex
        The days given equal weights for want of history.
    """

    forecasts: pd.DataFrame
    weights: pd.DataFrame
    fallback_days: pd.DatetimeIndex


def members_of(history: pd.DataFrame, windows: Sequence[DateWindow], requested: Sequence[str]) -> list[str]:
    """The requested members, or (none requested) every non-ensemble model with forecasts in each of ``windows``."""
    if requested:
        return sorted(requested)
    found: set[str] | None = None
    for window in windows:
        inside = history["date"].between(
            pd.Timestamp(window.start), pd.Timestamp(window.end), inclusive="left"
        )
        models = {
            str(m) for m in history.loc[inside, "model"].unique() if not str(m).startswith(ENSEMBLE_PREFIX)
        }
        found = models if found is None else found & models
    return sorted(found or ())


def _gaps(days: pd.DatetimeIndex, forecasts: pd.DataFrame) -> dict[str, list[pd.Timestamp]]:
    """Per member, the days of ``days`` it has no forecast for."""
    present = forecasts.reindex(days)
    return {
        str(m): list(days[present[m].isna().to_numpy()]) for m in present.columns if present[m].isna().any()
    }


def _describe(gaps: dict[str, list[pd.Timestamp]]) -> str:
    return "; ".join(
        f"{member}: {len(days)} days (first {', '.join(str(d.date()) for d in days[:SHOWN_DAYS])})"
        for member, days in sorted(gaps.items())
    )


def _covering(
    forecasts: pd.DataFrame, symbol: str, days: pd.DatetimeIndex, use_present: bool, target: str
) -> tuple[list[str], dict[str, str]]:
    """The members covering every one of ``days``; a member short of some raises, unless ``use_present``."""
    gaps = _gaps(days, forecasts)
    if gaps and not use_present:
        raise MissingMembers(
            f"{target} {symbol}: members without forecasts on days to combine ({days[0].date()} .. "
            f"{days[-1].date()}): {_describe(gaps)}. Backfill them first, choose other members, or set "
            "use_present_members to combine the members that cover those days."
        )
    kept = [str(m) for m in forecasts.columns if m not in gaps]
    if not kept:
        raise MissingMembers(f"{target} {symbol}: no member covers the days to combine: {_describe(gaps)}")
    return kept, {m: f"no forecasts on {len(d)} of the days" for m, d in gaps.items()}


def _learnt_from(
    index: pd.DatetimeIndex,
    realised: pd.Series,
    days: pd.DatetimeIndex,
    windows: Sequence[DateWindow],
    horizon: int,
) -> pd.DataFrame:
    """Per day of ``days``: what the first day of its window could learn from, the rows realised by that day's
    close (panel positions up to its own minus h): how many (``train_rows``) and the last of them
    (``trained_through``, before the window by construction)."""
    known = np.cumsum(realised.notna().to_numpy())
    rows = []
    for window in windows:
        inside = days[(days >= pd.Timestamp(window.start)) & (days < pd.Timestamp(window.end))]
        if inside.empty:
            continue
        last = int(index.get_loc(inside[0])) - horizon
        through = index[last] if last >= 0 else pd.Timestamp(window.start) - pd.Timedelta(days=1)
        rows.append(
            pd.DataFrame(
                {
                    "date": inside,
                    "train_rows": int(known[last]) if last >= 0 else 0,
                    "trained_through": through,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def combine_symbol(
    wide: pd.DataFrame,
    combiner: Combiner[Any],
    members: list[str],
    days: pd.DatetimeIndex,
    windows: Sequence[DateWindow],
    horizon: int,
    context: pd.DataFrame | None,
) -> SymbolCombination:
    """One symbol, from its rows pivoted wide (dates x (value, model), ``realised`` beside): forecast rows of
    ``days``, weight rows, and the days given equal weights for want of history."""
    forecasts = wide["forecast"][members]
    history = forecasts.index[forecasts.index < days[0]]
    complete = history[forecasts.loc[history].notna().all(axis=1).to_numpy()]
    index = days if complete.empty else pd.DatetimeIndex(complete.append(days))
    realised = wide["realised"].reindex(index).astype(float)
    panel = MemberPanel(
        forecasts.loc[index].set_axis(index),
        realised.set_axis(index),
        horizon,
        None if context is None else context.reindex(index).ffill().set_axis(index),  # never from a later day
    )
    combination = combiner.combine(panel, days)
    weights = combination.weights.to_numpy()
    quantiles = {}
    for column in QUANTILE_COLUMNS:
        level = wide[column][members].loc[days].to_numpy()
        quantiles[column] = combine_levels(weights, level)
    out = pd.DataFrame({"date": days, "forecast": combination.variance.to_numpy(), **quantiles})
    out = out.merge(_learnt_from(index, realised, days, windows, horizon), on="date")
    weight_rows = (
        combination.weights.rename_axis("date")
        .reset_index()
        .melt("date", var_name="member", value_name="weight")
    )
    return SymbolCombination(out, weight_rows, combination.fallback.index[combination.fallback.to_numpy()])


def combine_windows(
    history: pd.DataFrame,
    combiner: Combiner[Any],
    target: str,
    horizon: int,
    windows: Sequence[DateWindow],
    requested: Sequence[str] = (),
    *,
    use_present: bool = False,
    context: pd.DataFrame | None = None,
) -> list[EnsembleWindow]:
    """The ensemble ``combiner`` over ``windows`` (in date order) from ``history``, the store's forecasts of
    ``target`` (``symbol, date, model, forecast, q.., realised``); ``context``: daily features with ``symbol``
    and ``date``. One walk per symbol covers every window, so a backfill of many windows fits each block once."""
    model = ensemble_model(combiner.name)
    history = history.assign(date=pd.to_datetime(history["date"]))
    members = members_of(history, windows, requested)
    if not members:
        raise MissingMembers(
            f"{target}: no model has forecasts in every window {windows[0].start} .. {windows[-1].end}"
        )
    start, end = pd.Timestamp(windows[0].start), pd.Timestamp(windows[-1].end)
    forecasts, weights, left_out, fallback = [], [], {}, []
    for symbol, rows in history.groupby("symbol", sort=True):
        chosen = rows[rows["model"].isin(members)]
        in_windows = chosen["date"].between(start, end, inclusive="left")
        days = pd.DatetimeIndex(sorted(chosen.loc[in_windows, "date"].unique()))
        if days.empty:
            continue
        wide = chosen.pivot(index="date", columns="model", values=["forecast", *QUANTILE_COLUMNS])
        wide = wide.reindex(columns=members, level="model")
        wide["realised"] = chosen.groupby("date")["realised"].first()
        kept, dropped = _covering(
            wide["forecast"].reindex(columns=members), str(symbol), days, use_present, target
        )
        left_out.update({f"{member} ({symbol})": why for member, why in dropped.items()})
        own_context = None
        if context is not None:
            own_context = context[context["symbol"] == symbol].set_index("date")[
                list(combiner.context_columns)
            ]
            if REGIME_CONTEXT in own_context:
                own_context = own_context.fillna({REGIME_CONTEXT: UNKNOWN_REGIME})
            own_context.index = pd.DatetimeIndex(own_context.index)
        combined = combine_symbol(wide, combiner, kept, days, windows, horizon, own_context)
        forecasts.append(combined.forecasts.assign(symbol=symbol))
        weights.append(combined.weights.assign(symbol=symbol))
        fallback.extend(combined.fallback_days)
    every_forecast = pd.concat(forecasts, ignore_index=True) if forecasts else pd.DataFrame(columns=["date"])
    every_weight = pd.concat(weights, ignore_index=True) if weights else pd.DataFrame(columns=["date"])
    results = []
    for window in windows:
        keys = {"target": target, "model": model, "window_start": window.start}
        inside = [
            frame[
                frame["date"].between(pd.Timestamp(window.start), pd.Timestamp(window.end), inclusive="left")
            ]
            for frame in (every_forecast, every_weight)
        ]
        results.append(
            EnsembleWindow(
                target,
                model,
                window,
                inside[0].assign(**keys).reset_index(drop=True),
                inside[1].assign(**keys).reset_index(drop=True),
                tuple(members),
                left_out,
                sum(1 for day in fallback if window.start <= day.date() < window.end),
            )
        )
    return results
