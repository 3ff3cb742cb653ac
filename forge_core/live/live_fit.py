"""Fitting the live sets of a target: every family and ensemble on all rows realised by the close of ``as_of``.

The same purge rule as the walk-forward (``purged_training_rows`` with the window starting the day after
``as_of``): a row trains only if its whole target window had realised by then. Calibration and ranking read the
member's own out-of-sample forecasts from the store (``load_member_history`` up to ``as_of``: realised values only
where realised by its close), so a family needs walk-forward forecasts of its recent windows; one without enough of
them is left out, saying which windows to backfill. An ensemble's out-of-sample forecasts are recombined from its
members' over the days they all forecast, which gives both its calibration and its weights at ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.ensembles.combiner_registry import create_combiner
from forge_core.ensembles.ensemble_windows import MissingMembers, combine_windows, ensemble_model
from forge_core.evaluation.losses import qlike
from forge_core.forecasting.walk_forward import TrainingScheme, fit_model, purged_training_rows
from forge_core.intervals.calibration import DEFAULT_LEVELS, DEFAULT_MIN_SCORES, calibrate
from forge_core.live.fitted_set import FittedSet, SymbolState
from forge_core.models.base import Runtime
from forge_core.targets import TargetSpec


@dataclass(frozen=True)
class LiveSettings:
    """What a retraining fits: ``families`` and ``combiners`` (ensembles of the fitted families) on rows realised
    by ``as_of`` under ``scheme``; intervals by ``method`` at ``levels`` from at least ``min_scores`` realised
    out-of-sample scores; ranking on the mean QLIKE of the last ``recent_days`` scored days."""

    as_of: dt.date
    families: tuple[str, ...]
    combiners: tuple[str, ...] = ()
    scheme: TrainingScheme = field(default_factory=TrainingScheme)
    method: str = "pid"
    levels: tuple[float, ...] = DEFAULT_LEVELS
    min_scores: int = DEFAULT_MIN_SCORES
    recent_days: int = 250


@dataclass
class LiveFit:
    """The fitted sets of one target, best recent QLIKE first, and the members left out, with why."""

    target: str
    as_of: dt.date
    sets: list[FittedSet] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)


def fit_live(
    panel: pd.DataFrame,
    history: pd.DataFrame,
    spec: TargetSpec,
    settings: LiveSettings,
    *,
    context: pd.DataFrame | None = None,
    runtime: Runtime | None = None,
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> LiveFit:
    """Fit every family and ensemble of ``settings`` for ``spec``.

    ``panel``: ``load_panel`` rows (any end: rows after ``as_of`` are ignored); ``history``: ``load_member_history``
    up to ``as_of`` (the store's out-of-sample forecasts with realised values); ``context``: daily features for the
    ensembles that use it; ``model_params``: per family, hyperparameters (e.g. tuned ones). ValueError if no
    member can be fitted."""
    result = LiveFit(spec.name, settings.as_of)
    panel = panel[panel["date"] <= pd.Timestamp(settings.as_of)]
    for family in settings.families:
        try:
            result.sets.append(
                _fit_family(panel, history, spec, family, settings, runtime, (model_params or {}).get(family))
            )
        except NotEnoughHistory as why:
            result.left_out[family] = str(why)
    families = {s.member: s for s in result.sets}
    for name in settings.combiners:
        model = ensemble_model(name)
        if len(families) < 2:
            result.left_out[model] = f"needs two fitted families, has {list(families)}"
            continue
        try:
            result.sets.append(_fit_ensemble(history, spec, name, families, settings, context))
        except NotEnoughHistory as why:
            result.left_out[model] = str(why)
    if not result.sets:
        raise ValueError(
            f"{spec.name}: no member could be fitted on rows realised by {settings.as_of}: "
            + "; ".join(f"{m}: {why}" for m, why in result.left_out.items())
        )
    result.sets.sort(key=lambda s: s.recent_qlike)
    return result


class NotEnoughHistory(ValueError):
    """A member without enough realised rows or out-of-sample scores to be fitted and calibrated."""


def _fit_family(
    panel: pd.DataFrame,
    history: pd.DataFrame,
    spec: TargetSpec,
    family: str,
    settings: LiveSettings,
    runtime: Runtime | None,
    params: Mapping[str, Any] | None,
) -> FittedSet:
    oos = history[history["model"] == family]
    start = pd.Timestamp(settings.as_of + dt.timedelta(days=1))
    models, states = {}, {}
    for symbol, rows in panel.groupby("symbol", sort=True):
        train = purged_training_rows(rows.reset_index(drop=True), start.date(), settings.scheme)
        mine = oos[oos["symbol"] == symbol]
        log_lower, log_upper = _thresholds(mine, spec.horizon, settings)
        if len(train) < settings.scheme.min_rows or log_lower is None or log_upper is None:
            continue
        fit_runtime = (runtime or Runtime()).under(family, spec.name, str(symbol), f"live-{settings.as_of}")
        models[str(symbol)] = fit_model(train, spec, family, fit_runtime, params)
        trained_through = pd.Timestamp(train["realised_on"].max()).date()
        states[str(symbol)] = SymbolState(len(train), trained_through, log_lower, log_upper)
    if not models:
        raise NotEnoughHistory(_short_of(oos, settings))
    return FittedSet(
        target=spec.name,
        horizon=spec.horizon,
        proxy=spec.proxy,
        member=family,
        as_of=settings.as_of,
        levels=settings.levels,
        method=settings.method,
        recent_qlike=_recent_qlike(oos[oos["symbol"].isin(list(models))], settings.recent_days),
        symbols=states,
        models=models,
    )


def _fit_ensemble(
    history: pd.DataFrame,
    spec: TargetSpec,
    name: str,
    families: Mapping[str, FittedSet],
    settings: LiveSettings,
    context: pd.DataFrame | None,
) -> FittedSet:
    members = history[history["model"].isin(list(families))]
    first = members.groupby("model")["date"].min().max()  # the first day every member forecast
    end = settings.as_of + dt.timedelta(days=1)
    if pd.isna(first) or first.date() >= end:
        raise NotEnoughHistory(f"its members {list(families)} have no common out-of-sample days")
    combiner = create_combiner(name)
    try:
        (window,) = combine_windows(
            members[members["date"] >= first],
            combiner,
            spec.name,
            spec.horizon,
            [DateWindow(first.date(), end)],
            list(families),
            context=context,
        )
    except MissingMembers as error:
        raise NotEnoughHistory(str(error)) from None
    realised = members.drop_duplicates(["symbol", "date"]).set_index(["symbol", "date"])["realised"]
    oos = window.forecasts.join(realised, on=["symbol", "date"])
    last_weights = window.weights[
        window.weights["date"] == window.weights.groupby("symbol")["date"].transform("max")
    ]
    states = {}
    for symbol, rows in oos.groupby("symbol", sort=True):
        log_lower, log_upper = _thresholds(rows, spec.horizon, settings)
        if log_lower is None or log_upper is None or any(symbol not in s.symbols for s in families.values()):
            continue
        mine = last_weights[last_weights["symbol"] == symbol]
        states[str(symbol)] = SymbolState(
            int(rows["realised"].notna().sum()),
            pd.Timestamp(rows.loc[rows["realised"].notna(), "date"].max()).date(),
            log_lower,
            log_upper,
            {str(m): float(w) for m, w in zip(mine["member"], mine["weight"], strict=True)},
        )
    if not states:
        raise NotEnoughHistory(_short_of(oos, settings))
    return FittedSet(
        target=spec.name,
        horizon=spec.horizon,
        proxy=spec.proxy,
        member=ensemble_model(name),
        as_of=settings.as_of,
        levels=settings.levels,
        method=settings.method,
        recent_qlike=_recent_qlike(oos[oos["symbol"].isin(list(states))], settings.recent_days),
        symbols=states,
        member_sets=dict(families),
        space=combiner.space,
    )


def _thresholds(
    rows: pd.DataFrame, horizon: int, settings: LiveSettings
) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    """Log-score thresholds (lower, upper) per level at the last out-of-sample day of one symbol's ``rows``
    (``date, forecast, realised``), or None if fewer than ``min_scores`` scores had realised."""
    rows = rows.sort_values("date")
    realised = pd.Series(rows["realised"].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["date"]))
    if int((realised > 0).sum()) < settings.min_scores:
        return None, None
    forecast = pd.Series(rows["forecast"].to_numpy(dtype=float), index=realised.index)
    intervals = calibrate(
        forecast,
        realised.where(realised > 0),
        horizon,
        settings.method,
        levels=settings.levels,
        min_scores=settings.min_scores,
    )
    if len(intervals) == 0:
        return None, None
    f = float(intervals.forecast.iloc[-1])
    lower = tuple(float(np.log(v / f)) for v in intervals.lower.iloc[-1])
    upper = tuple(float(np.log(v / f)) for v in intervals.upper.iloc[-1])
    return lower, upper


def _recent_qlike(oos: pd.DataFrame, days: int) -> float:
    """Mean QLIKE of the scored out-of-sample rows of the last ``days`` scored days."""
    scored = oos[oos["realised"] > 0]
    recent = scored[scored["date"].isin(sorted(scored["date"].unique())[-days:])]
    return float(
        qlike(recent["realised"].to_numpy(dtype=float), recent["forecast"].to_numpy(dtype=float)).mean()
    )


def _short_of(oos: pd.DataFrame, settings: LiveSettings) -> str:
    scored = int((oos["realised"] > 0).sum()) if len(oos) else 0
    last = oos["date"].max() if len(oos) else None
    return (
        f"{scored} realised out-of-sample forecasts in the store (last {last.date() if last is not None else 'none'}), "
        f"need {settings.min_scores} per symbol and {settings.scheme.min_rows} training rows: backfill its "
        f"walk-forward windows up to {settings.as_of}"
    )
