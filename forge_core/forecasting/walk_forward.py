"""Walk-forward forecasting: per window, refit on purged history, then forecast every day of the window.

Purge: a row t may train a model for the window [s, e) only if its whole target window t+1..t+h ended before s,
i.e. ``realised_on < s``. The model is fitted once per window and symbol, then forecasts each day t of the window
at its close, using only rows <= t (stateful models run their recursions over the whole history up to t).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from forge_core.date_window import DateWindow
from forge_core.evaluation.losses import qlike
from forge_core.forecasting.restarts import restarting
from forge_core.models import ForecastTask, VolatilityModel, create_model
from forge_core.models.base import Runtime, WarmStart
from forge_core.models.forecast import Forecast
from forge_core.quantiles import QUANTILE_COLUMNS
from forge_core.targets import TargetSpec

FORECAST_COLUMNS = [
    "symbol", "date", "target", "model", "window_start", "forecast", *QUANTILE_COLUMNS,
    "train_rows", "trained_through",
]  # fmt: skip


TRAINING_ROWS = "purged training rows"


@dataclass(frozen=True)
class ShortHistory:
    """Why a symbol was left out: it has ``rows`` of ``what`` (e.g. purged training rows) and needs ``needed``."""

    rows: int
    needed: int
    what: str = TRAINING_ROWS

    def __str__(self) -> str:
        return f"{self.rows} {self.what} of the {self.needed} needed"


@dataclass(frozen=True)
class TrainingScheme:
    """Which purged rows a window trains on: all of them (expanding) or those of the last ``rolling_years``."""

    kind: Literal["expanding", "rolling"] = "expanding"
    rolling_years: float = 10.0
    min_rows: int = 250

    def __post_init__(self) -> None:
        if self.kind not in ("expanding", "rolling"):
            raise ValueError(f"training scheme must be 'expanding' or 'rolling', got {self.kind!r}")
        if self.rolling_years <= 0 or self.min_rows < 1:
            raise ValueError("rolling_years must be > 0 and min_rows >= 1")

    def describe(self) -> str:
        """``expanding`` or ``rolling <years>y``."""
        return "expanding" if self.kind == "expanding" else f"rolling {self.rolling_years:g}y"

    def shortfall(self, train_rows: int) -> ShortHistory | None:
        """What a symbol with ``train_rows`` purged rows lacks to be fitted (None: nothing)."""
        return ShortHistory(train_rows, self.min_rows) if train_rows < self.min_rows else None


def purged_training_rows(
    history: pd.DataFrame, window_start: dt.date, scheme: TrainingScheme
) -> pd.DataFrame:
    """Rows of ``history`` whose target was realised before ``window_start`` (and, rolling, recent enough)."""
    start = pd.Timestamp(window_start)
    keep = history["realised_on"].notna() & (pd.to_datetime(history["realised_on"]) < start)
    if scheme.kind == "rolling":
        keep &= history["date"] >= start - pd.Timedelta(days=round(365.25 * scheme.rolling_years))
    return history[keep]


@dataclass(frozen=True)
class SymbolFit:
    """One symbol's model for one window: how much it saw, what it learnt, the fitted model itself and its
    forecast of the window's days."""

    symbol: str
    train_rows: int
    trained_through: dt.date
    seconds: float
    params: dict[str, float | int | str]
    model: VolatilityModel = field(repr=False, compare=False)
    forecast: Forecast = field(repr=False, compare=False)

    def scores(self, panel: pd.DataFrame) -> dict[str, float]:
        """The window's out-of-sample QLIKE and MSE of the variance on the days whose target ``panel`` holds
        realised (> 0), and how many days that is: what the fit's MLflow run logs. Evaluation only: nothing of it
        trains anything."""
        realised = panel.loc[panel["symbol"] == self.symbol, ["date", "target_value"]]
        scored = self.forecast.to_frame().merge(realised, on="date")
        scored = scored[scored["target_value"] > 0]
        if scored.empty:
            return {"oos_days": 0.0}
        y, f = scored["target_value"].to_numpy(dtype=float), scored["forecast"].to_numpy(dtype=float)
        return {
            "oos_qlike": float(qlike(y, f).mean()),
            "oos_mse": float(np.mean((y - f) ** 2)),
            "oos_days": float(len(scored)),
        }


@dataclass
class WindowResult:
    """One window of one family and target: the fits (one per symbol, each with its forecast) and the symbols
    left out, with why."""

    window: DateWindow
    target: str
    family: str
    fits: list[SymbolFit] = field(default_factory=list)
    skipped: dict[str, ShortHistory] = field(default_factory=dict)
    # per symbol, the window days without a forecast because a gap left the model's inputs incomplete
    restarting: dict[str, list[dt.date]] = field(default_factory=dict)
    inputs_digest: str = ""
    reused: bool = False  # already stored with the same inputs digest: nothing was fitted, nothing to write

    @property
    def nobody_fitted(self) -> bool:
        """Every symbol with days in the window was skipped: nothing forecasts it."""
        return bool(self.skipped) and not self.fits and not self.reused

    @property
    def forecasts(self) -> pd.DataFrame:
        """The window's forecast rows, every symbol, as the ``forecasts`` table holds them (``FORECAST_COLUMNS``)."""
        frames = [
            fit.forecast.to_frame().assign(
                target=self.target,
                model=self.family,
                window_start=pd.Timestamp(self.window.start),
                train_rows=fit.train_rows,
                trained_through=pd.Timestamp(fit.trained_through),
            )
            for fit in self.fits
        ]
        if not frames:
            return pd.DataFrame(columns=FORECAST_COLUMNS)
        return pd.concat(frames, ignore_index=True)[FORECAST_COLUMNS]


def forecast_window(
    panel: pd.DataFrame,
    spec: TargetSpec,
    family: str,
    window: DateWindow,
    scheme: TrainingScheme,
    *,
    model_params: Mapping[str, Any] | None = None,
    warm_starts: Mapping[str, WarmStart] | None = None,
    runtime: Runtime | None = None,
) -> WindowResult:
    """Fit ``family`` per symbol on purged rows of ``panel`` (``load_panel``) and forecast the window's days."""
    result = WindowResult(window, spec.name, family)
    for part in symbol_windows(panel, window, scheme):
        fitted = fit_symbol(
            part.symbol,
            part.train,
            spec,
            family,
            scheme,
            str(window.start),
            runtime=runtime,
            model_params=model_params,
            warm_start=(warm_starts or {}).get(part.symbol),
        )
        if isinstance(fitted, ShortHistory):
            result.skipped[part.symbol] = fitted
            continue
        started = time.perf_counter()
        forecast = fitted.model.forecast(part.history).take(part.in_window)
        without_inputs = part.restarting & ~np.isfinite(forecast.variance)
        if without_inputs.any():
            result.restarting[part.symbol] = list(part.days[without_inputs])
            forecast = forecast.take(~without_inputs)
        seconds = fitted.seconds + time.perf_counter() - started
        result.fits.append(
            SymbolFit(
                part.symbol,
                fitted.train_rows,
                fitted.trained_through,
                seconds,
                fitted.model.params(),
                fitted.model,
                forecast,
            )
        )
    return result


@dataclass(frozen=True)
class SymbolWindow:
    """One symbol's rows for a window: its history before the window's end, which of them fall in the window,
    and its purged training rows."""

    symbol: str
    history: pd.DataFrame
    in_window: NDArray[np.bool_]
    train: pd.DataFrame

    @property
    def days(self) -> NDArray[np.object_]:
        """The window's days (``datetime.date``), in order."""
        return np.array([d.date() for d in self.history.loc[self.in_window, "date"]], dtype=object)

    @property
    def restarting(self) -> NDArray[np.bool_]:
        """Per window day: too soon after a gap for complete inputs (``forge_core.forecasting.restarts``)."""
        near: NDArray[np.bool_] = restarting(self.history["log_return"])[self.in_window]
        return near


def symbol_windows(panel: pd.DataFrame, window: DateWindow, scheme: TrainingScheme) -> Iterator[SymbolWindow]:
    """Every symbol of ``panel`` with days in ``window``, in symbol order."""
    for symbol, rows in panel.groupby("symbol", sort=True):
        history = rows[rows["date"] < pd.Timestamp(window.end)].reset_index(drop=True)
        in_window = (history["date"] >= pd.Timestamp(window.start)).to_numpy()
        if in_window.any():
            yield SymbolWindow(
                str(symbol), history, in_window, purged_training_rows(history, window.start, scheme)
            )


@dataclass(frozen=True)
class FittedSymbol:
    """One symbol's model of a family, fitted on its purged rows: how many rows it saw, the last day their targets
    realised, and the seconds the fit took."""

    symbol: str
    model: VolatilityModel = field(repr=False, compare=False)
    train_rows: int
    trained_through: dt.date
    seconds: float


def fit_symbol(
    symbol: str,
    train: pd.DataFrame,
    spec: TargetSpec,
    family: str,
    scheme: TrainingScheme,
    run: str,
    *,
    runtime: Runtime | None = None,
    model_params: Mapping[str, Any] | None = None,
    warm_start: WarmStart | None = None,
    also_short: ShortHistory | None = None,
) -> FittedSymbol | ShortHistory:
    """A ``family`` model of ``spec`` fitted on one symbol's purged rows ``train`` (the walk-forward's windows and
    the live fit both fit through here), or its shortfall: too few rows for ``scheme``, else ``also_short``
    (what the caller found missing, e.g. realised scores for a calibration). ``run`` names the fit in the
    runtime's seeds and logs (a window's start, ``live-<day>``)."""
    short = scheme.shortfall(len(train)) or also_short
    if short is not None:
        return short
    started = time.perf_counter()
    fit_runtime = (runtime or Runtime()).under(family, spec.name, symbol, run)
    model = fit_model(train, spec, family, fit_runtime, model_params, warm_start)
    trained_through = pd.Timestamp(train["realised_on"].max()).date()
    return FittedSymbol(symbol, model, len(train), trained_through, time.perf_counter() - started)


def fit_model(
    train: pd.DataFrame,
    spec: TargetSpec,
    family: str,
    runtime: Runtime,
    model_params: Mapping[str, Any] | None = None,
    warm_start: WarmStart | None = None,
) -> VolatilityModel:
    """A ``family`` model of ``spec`` fitted on ``train`` (purged rows of one symbol)."""
    model = create_model(family, ForecastTask(spec.horizon, spec.proxy), runtime, **(model_params or {}))
    model.fit(train, train["target_value"], warm_start=warm_start)
    return model


# what the engine itself reads of a symbol's rows: keys, the target, and log_return (a gap restarts the inputs)
ENGINE_COLUMNS = ("symbol", "date", "target_value", "realised_on", "log_return")


def read_columns(panel: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """The ``panel`` columns a fit reads: ``ENGINE_COLUMNS`` and those of ``columns`` (models' ``input_columns``)."""
    return list(dict.fromkeys([*ENGINE_COLUMNS, *(c for c in columns if c in panel)]))


def inputs_digest(
    panel: pd.DataFrame,
    spec: TargetSpec,
    family: str,
    window: DateWindow,
    scheme: TrainingScheme,
    model_params: Mapping[str, Any],
    warm_starts: Mapping[str, WarmStart],
    code: str,
    columns: Sequence[str],
) -> str:
    """A digest of everything a window's forecasts depend on: family, target definition, window, scheme,
    hyperparameters, warm starts, code version, and the panel rows it can see (dated before the window's end, with
    every target not realised before the window's start blanked, as the purge does), of the model's
    ``input_columns`` and the columns the engine reads (``ENGINE_COLUMNS``). A column the model never reads (a
    regime probability the daily job adds for HAR) changes nothing."""
    rows = panel.loc[panel["date"] < pd.Timestamp(window.end), read_columns(panel, columns)]
    hidden = ~(rows["realised_on"] < pd.Timestamp(window.start))
    rows = rows.assign(
        target_value=rows["target_value"].mask(hidden), realised_on=rows["realised_on"].mask(hidden)
    )
    described = {
        "family": family,
        "spec": [spec.name, spec.horizon, spec.proxy],
        "window": [str(window.start), str(window.end)],
        "scheme": [scheme.kind, scheme.rolling_years, scheme.min_rows],
        "params": model_params,
        "warm": warm_starts,
        "code": code,
    }
    return content_digest(described, [rows])


def content_digest(described: Mapping[str, Any], frames: Iterable[pd.DataFrame | None]) -> str:
    """SHA-256 of ``described`` (as sorted JSON, anything else as its ``str``) followed by every frame's row hashes
    (``pandas.util.hash_pandas_object``, index ignored; None skipped): the digest a fit's inputs are kept by."""
    digest = hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode())
    for frame in frames:
        if frame is not None:
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredWindow:
    """A window already in the store: its inputs digest and every symbol's fitted parameters."""

    inputs_digest: str
    params: dict[str, WarmStart]


def walk_forward(
    panel: pd.DataFrame,
    spec: TargetSpec,
    family: str,
    windows: Iterable[DateWindow],
    scheme: TrainingScheme,
    *,
    model_params: Mapping[str, Any] | Callable[[DateWindow], Mapping[str, Any]] | None = None,
    runtime: Runtime | None = None,
    stored: Mapping[dt.date, StoredWindow] | None = None,
    code: str = "",
) -> Iterator[WindowResult]:
    """``forecast_window`` over ``windows`` in date order, each fit warm-started from the previous window's.
    ``model_params`` may be a function of the window (tuned parameters apply only after their tuning data).

    With ``stored`` (windows already written, by start), a window whose stored inputs digest equals the one it
    would have now is not fitted again: it comes back ``reused`` (naming the symbols it skips, as a fit would)
    and the next window warm-starts from its stored parameters, so a resumed backfill gives what an unbroken one
    gives."""
    warm: dict[str, WarmStart] = {}
    for window in sorted(windows, key=lambda w: w.start):
        params = model_params(window) if callable(model_params) else model_params
        columns = create_model(
            family, ForecastTask(spec.horizon, spec.proxy), **(params or {})
        ).input_columns()
        digest = inputs_digest(panel, spec, family, window, scheme, params or {}, warm, code, columns)
        done = (stored or {}).get(window.start)
        if done is not None and done.inputs_digest == digest:
            warm.update(done.params)
            parts = list(symbol_windows(panel, window, scheme))
            skipped = {
                p.symbol: short for p in parts if (short := scheme.shortfall(len(p.train))) is not None
            }
            near = {p.symbol: list(p.days[p.restarting]) for p in parts}
            restarting = {symbol: days for symbol, days in near.items() if days}
            yield WindowResult(
                window,
                spec.name,
                family,
                skipped=skipped,
                restarting=restarting,
                inputs_digest=digest,
                reused=True,
            )
            continue
        result = forecast_window(
            panel, spec, family, window, scheme, model_params=params, warm_starts=warm, runtime=runtime
        )
        result.inputs_digest = digest
        warm.update({fit.symbol: fit.params for fit in result.fits})
        yield result
