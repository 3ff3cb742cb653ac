"""Fitting the live sets of a target: every family and ensemble on all rows realised by the close of ``as_of``.

The same purge rule as the walk-forward (``purged_training_rows`` with the window starting the day after
``as_of``): a row trains only if its whole target window had realised by then. Calibration and ranking read the
member's own out-of-sample forecasts from the store (``load_member_history`` up to ``as_of``: realised values only
where realised by its close), so a family needs walk-forward forecasts of its recent windows; one without enough of
them is left out, saying which windows to backfill. A symbol short of purged training rows or of realised scores
for every family is skipped, with what it has and what it needs (``LiveFit.skipped``); the rest are fitted. An
ensemble's out-of-sample forecasts are recombined from its members' over the days they all forecast, which gives
both its calibration and its weights at ``as_of``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forge_core.date_window import DateWindow
from forge_core.ensembles.combiner_registry import create_combiner
from forge_core.ensembles.ensemble_windows import MissingMembers, combine_windows, ensemble_model
from forge_core.evaluation.losses import mse, qlike
from forge_core.evaluation.run_scores import BENCHMARK, band_scores, mse_ratio
from forge_core.forecasting.walk_forward import (
    TRAINING_ROWS,
    ShortHistory,
    TrainingScheme,
    content_digest,
    fit_symbol,
    purged_training_rows,
    read_columns,
)
from forge_core.intervals.calibration import DEFAULT_LEVELS, DEFAULT_MIN_SCORES, calibrate
from forge_core.intervals.interval_methods import DEFAULT_METHOD
from forge_core.live.fitted_set import FittedSet, RecentScores, SymbolState
from forge_core.models import ForecastTask, create_model
from forge_core.models.base import Runtime
from forge_core.targets import TargetSpec

REALISED_SCORES = "realised out-of-sample scores"


@dataclass(frozen=True)
class Calibration:
    """One symbol's interval calibration at ``as_of``: log bounds per level and the log correction of the point
    (``log_scores``), and its out-of-sample rows (``date, forecast, realised``) with ``forecast`` the point the
    calibration published each day (the raw forecast before its warm-up), and the bands it published each day
    from its first (``date, level, lower, upper``): what the set's recent scores are judged on."""

    log_lower: tuple[float, ...]
    log_upper: tuple[float, ...]
    log_point: float
    published: pd.DataFrame
    bands: pd.DataFrame

    def state(
        self, train_rows: int, trained_through: dt.date, weights: Mapping[str, float] | None = None
    ) -> SymbolState:
        """The symbol's state in its set: what it was trained on, these log bounds and point correction, and an
        ensemble's member weights."""
        return SymbolState(
            train_rows, trained_through, self.log_lower, self.log_upper, self.log_point, dict(weights or {})
        )


@dataclass(frozen=True)
class LiveSettings:
    """What a retraining fits: ``families`` and ``combiners`` (ensembles of the fitted families) on rows realised
    by ``as_of`` under ``scheme``; intervals by ``method`` at ``levels`` from at least ``min_scores`` realised
    out-of-sample scores; ranking on the mean QLIKE of the last ``recent_days`` scored days (over which every
    recent score of a set is taken: ``FittedSet.recent``)."""

    as_of: dt.date
    families: tuple[str, ...]
    combiners: tuple[str, ...] = ()
    scheme: TrainingScheme = field(default_factory=TrainingScheme)
    method: str = DEFAULT_METHOD
    levels: tuple[float, ...] = DEFAULT_LEVELS
    min_scores: int = DEFAULT_MIN_SCORES
    recent_days: int = 250


@dataclass
class LiveFit:
    """The fitted sets of one target, best recent QLIKE first, the members left out, with why, and the symbols no
    family could be fitted for, with their shortfall (the most any family saw)."""

    target: str
    as_of: dt.date
    sets: list[FittedSet] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, ShortHistory] = field(default_factory=dict)


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
    ensembles that use it; ``model_params``: per family, hyperparameters (e.g. tuned ones). ``NoSymbolQualifies``
    if no symbol has the history any family needs; ValueError if no member can be fitted otherwise."""
    result = LiveFit(spec.name, settings.as_of)
    panel = panel[panel["date"] <= pd.Timestamp(settings.as_of)]
    shortfalls: dict[str, list[ShortHistory]] = defaultdict(list)
    fitted_families: list[tuple[FittedSet, OutOfSample]] = []
    for family in settings.families:
        fitted, short = _fit_family(
            panel, history, spec, family, settings, runtime, (model_params or {}).get(family)
        )
        for symbol, why in short.items():
            shortfalls[symbol].append(why)
        if fitted is None:
            result.left_out[family] = (
                _short_of(short, settings)
                if short
                else f"no out-of-sample forecasts stored: backfill its walk-forward windows up to {settings.as_of}"
            )
        else:
            fitted_families.append(fitted)
    benchmark = next((oos for s, oos in fitted_families if s.member == BENCHMARK), None)
    result.sets = [_scored(s, oos, benchmark, settings) for s, oos in fitted_families]
    families = {s.member: s for s in result.sets}
    result.skipped = {
        symbol: max(whys, key=lambda why: why.rows)
        for symbol, whys in sorted(shortfalls.items())
        if not any(symbol in s.symbols for s in result.sets)
    }
    for name in settings.combiners:
        model = ensemble_model(name)
        if len(families) < 2:
            result.left_out[model] = f"needs two fitted families, has {list(families)}"
            continue
        try:
            ensemble, oos = _fit_ensemble(history, spec, name, families, settings, context)
        except NotEnoughHistory as why:
            result.left_out[model] = str(why)
        else:
            result.sets.append(_scored(ensemble, oos, benchmark, settings))
    if not result.sets and result.skipped:
        raise NoSymbolQualifies(spec.name, settings, result.skipped)
    if not result.sets:
        raise ValueError(
            f"{spec.name}: no member could be fitted on rows realised by {settings.as_of}: "
            + "; ".join(f"{m}: {why}" for m, why in result.left_out.items())
        )
    result.sets.sort(key=lambda s: s.recent_qlike)
    return result


def live_inputs_digest(
    panel: pd.DataFrame,
    history: pd.DataFrame,
    spec: TargetSpec,
    settings: LiveSettings,
    *,
    context: pd.DataFrame | None = None,
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    code: str = "",
) -> str:
    """A digest of everything ``fit_live`` with the same arguments depends on: target, settings, hyperparameters,
    code version, the member history, the ensembles' context and the panel rows up to ``as_of`` of the columns the
    families read (``VolatilityModel.input_columns`` and the engine's: a column none reads changes nothing). A
    retraining whose digest equals the one its target's live sets were fitted from would register the same sets."""
    params = model_params or {}
    task = ForecastTask(spec.horizon, spec.proxy)
    read = [c for f in settings.families for c in create_model(f, task, **params.get(f, {})).input_columns()]
    described = {
        "spec": dataclasses.asdict(spec),
        "settings": dataclasses.asdict(settings),
        "params": params,
        "code": code,
    }
    rows = panel.loc[panel["date"] <= pd.Timestamp(settings.as_of), read_columns(panel, read)]
    return content_digest(described, [rows, history, context])


class NotEnoughHistory(ValueError):
    """A member without enough realised rows or out-of-sample scores to be fitted and calibrated."""


class NoSymbolQualifies(ValueError):
    """No symbol of a target has the history a live set needs: ``skipped`` holds each one's shortfall."""

    def __init__(self, target: str, settings: LiveSettings, skipped: Mapping[str, ShortHistory]) -> None:
        self.skipped = dict(skipped)
        super().__init__(f"{target}: {_short_of(self.skipped, settings)}")


def _fit_family(
    panel: pd.DataFrame,
    history: pd.DataFrame,
    spec: TargetSpec,
    family: str,
    settings: LiveSettings,
    runtime: Runtime | None,
    params: Mapping[str, Any] | None,
) -> tuple[tuple[FittedSet, OutOfSample] | None, dict[str, ShortHistory]]:
    """The family's set over the symbols with enough purged rows and realised scores and its out-of-sample rows
    (None if no symbol has them), and the shortfall of every other symbol (none when the family has no
    out-of-sample forecasts)."""
    oos = history[history["model"] == family]
    if oos.empty:
        return None, {}
    start = pd.Timestamp(settings.as_of + dt.timedelta(days=1))
    models, states, short, calibrations = {}, {}, {}, {}
    for symbol, rows in panel.groupby("symbol", sort=True):
        calibration = _calibration(oos[oos["symbol"] == symbol], spec.horizon, settings)
        fitted = fit_symbol(
            str(symbol),
            purged_training_rows(rows.reset_index(drop=True), start.date(), settings.scheme),
            spec,
            family,
            settings.scheme,
            f"live-{settings.as_of}",
            runtime=runtime,
            model_params=params,
            also_short=calibration if isinstance(calibration, ShortHistory) else None,
        )
        if isinstance(fitted, ShortHistory):
            short[str(symbol)] = fitted
            continue
        assert isinstance(calibration, Calibration)  # a ShortHistory calibration is a shortfall above
        models[str(symbol)] = fitted.model
        states[str(symbol)] = calibration.state(fitted.train_rows, fitted.trained_through)
        calibrations[str(symbol)] = calibration
    if not models:
        return None, short
    scored = OutOfSample.of(calibrations)
    return (
        FittedSet(
            target=spec.name,
            horizon=spec.horizon,
            proxy=spec.proxy,
            member=family,
            as_of=settings.as_of,
            levels=settings.levels,
            method=settings.method,
            recent_qlike=scored.recent(settings.recent_days).qlike(),
            symbols=states,
            models=models,
        ),
        scored,
    ), short


def _fit_ensemble(
    history: pd.DataFrame,
    spec: TargetSpec,
    name: str,
    families: Mapping[str, FittedSet],
    settings: LiveSettings,
    context: pd.DataFrame | None,
) -> tuple[FittedSet, OutOfSample]:
    """The ensemble's set over the symbols every member was fitted for, and its out-of-sample rows (its members'
    recombined); ``NotEnoughHistory`` when no symbol has enough of them."""
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
    states, short, calibrations = {}, {}, {}
    for symbol, rows in oos.groupby("symbol", sort=True):
        if any(symbol not in s.symbols for s in families.values()):
            continue
        calibration = _calibration(rows, spec.horizon, settings)
        if isinstance(calibration, ShortHistory):
            short[str(symbol)] = calibration
            continue
        mine = last_weights[last_weights["symbol"] == symbol]
        states[str(symbol)] = calibration.state(
            int(rows["realised"].notna().sum()),
            pd.Timestamp(rows.loc[rows["realised"].notna(), "date"].max()).date(),
            {str(m): float(w) for m, w in zip(mine["member"], mine["weight"], strict=True)},
        )
        calibrations[str(symbol)] = calibration
    if not states:
        raise NotEnoughHistory(_short_of(short, settings))
    scored = OutOfSample.of(calibrations)
    return FittedSet(
        target=spec.name,
        horizon=spec.horizon,
        proxy=spec.proxy,
        member=ensemble_model(name),
        as_of=settings.as_of,
        levels=settings.levels,
        method=settings.method,
        recent_qlike=scored.recent(settings.recent_days).qlike(),
        symbols=states,
        member_sets=dict(families),
        space=combiner.space,
    ), scored


def _scored(
    fitted: FittedSet, oos: OutOfSample, benchmark: OutOfSample | None, settings: LiveSettings
) -> FittedSet:
    """``fitted`` with its ``RecentScores`` over the days of its recent QLIKE, its MSE measured against the HAR
    set's out-of-sample rows ``benchmark``."""
    return dataclasses.replace(fitted, recent=oos.recent(settings.recent_days).scores(benchmark))


def _calibration(rows: pd.DataFrame, horizon: int, settings: LiveSettings) -> Calibration | ShortHistory:
    """The calibration at the last out-of-sample day of one symbol's ``rows`` (``date, forecast, realised``), or
    the shortfall if fewer than ``min_scores`` scores had realised."""
    rows = rows.sort_values("date")
    realised = pd.Series(rows["realised"].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["date"]))
    scored = int((realised > 0).sum())
    if scored < settings.min_scores:
        return ShortHistory(scored, settings.min_scores, REALISED_SCORES)
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
        return ShortHistory(scored, settings.min_scores, REALISED_SCORES)
    point = intervals.point.reindex(forecast.index).fillna(forecast)
    return Calibration(
        tuple(map(float, intervals.log_lower.iloc[-1])),
        tuple(map(float, intervals.log_upper.iloc[-1])),
        float(intervals.log_point.iloc[-1]),
        pd.DataFrame({"date": forecast.index, "forecast": point.to_numpy(), "realised": realised.to_numpy()}),
        intervals.to_frame()[["date", "level", "lower", "upper"]],
    )


@dataclass(frozen=True)
class OutOfSample:
    """A set's out-of-sample rows, every symbol's ``Calibration``: ``published`` (``symbol, date, forecast,
    realised``) and ``bands`` (``symbol, date, level, lower, upper``)."""

    published: pd.DataFrame
    bands: pd.DataFrame

    @classmethod
    def of(cls, calibrations: Mapping[str, Calibration]) -> OutOfSample:
        return cls(
            pd.concat([c.published.assign(symbol=s) for s, c in calibrations.items()], ignore_index=True),
            pd.concat([c.bands.assign(symbol=s) for s, c in calibrations.items()], ignore_index=True),
        )

    def recent(self, days: int) -> OutOfSample:
        """The rows of the last ``days`` scored days (realised > 0, any symbol), the bands with their realised
        value."""
        scored = self.published[self.published["realised"] > 0]
        recent = scored[scored["date"].isin(sorted(scored["date"].unique())[-days:])]
        keys = recent[["symbol", "date", "realised"]]
        return OutOfSample(recent, self.bands.merge(keys, on=["symbol", "date"]))

    def qlike(self) -> float:
        """Mean QLIKE of the published points."""
        y, p = self.published["realised"], self.published["forecast"]
        return float(qlike(y.to_numpy(dtype=float), p.to_numpy(dtype=float)).mean())

    def scores(self, benchmark: OutOfSample | None) -> RecentScores:
        """``RecentScores`` of these rows, the MSE ratio against the HAR set's rows ``benchmark`` (None: no HAR set
        was fitted)."""
        y, p = self.published["realised"], self.published["forecast"]
        if benchmark is None:
            ratio, why = None, f"no {BENCHMARK} set fitted by this retraining"
        else:
            ratio = mse_ratio(self.published, benchmark.published)
            why = "" if ratio is not None else f"no scored day in common with the {BENCHMARK} set"
        bands = band_scores(self.bands)
        return RecentScores(
            int(self.published["date"].nunique()),
            float(mse(y.to_numpy(dtype=float), p.to_numpy(dtype=float)).mean()),
            ratio,
            {float(level): float(v) for level, v in bands["coverage"].items()},
            {float(level): float(v) for level, v in bands["log_width"].items()},
            why,
        )


def _short_of(short: Mapping[str, ShortHistory], settings: LiveSettings) -> str:
    """That no symbol has enough history, each one's shortfall, and what makes them up: more days of data for
    purged training rows, walk-forward forecasts for realised scores."""
    what = {why.what for why in short.values()}
    remedies = [
        *(["more days of data, or a lower min_train_rows"] if TRAINING_ROWS in what else []),
        *([f"backfill the walk-forward windows up to {settings.as_of}"] if REALISED_SCORES in what else []),
    ]
    listed = "; ".join(f"{symbol}: {why}" for symbol, why in short.items()) or "no symbols"
    return (
        f"no symbol has enough history for a live model on rows realised by {settings.as_of} ({listed})"
        + (f": {'; '.join(remedies)}" if remedies else "")
    )
