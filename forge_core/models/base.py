"""The interface every volatility model implements, and the predictive quantiles the baselines share.

A model forecasts, at the close of day t, the mean daily variance proxy over t+1..t+h (see
``forge_core.targets``) from rows of ``daily_features`` (one symbol, ascending dates).

Quantiles (all baselines): the predictive distribution is log-normal-like around the point forecast f_t,
with the dispersion taken from the in-sample log residuals e = log(y) - log(f):

    q_p(t) = f_t * exp(Q_e(p)),   Q_e = empirical quantile function of e on the training rows.

The residual quantiles are not shifted to make q50 = f_t: f_t forecasts the conditional *mean* and the
median of a right-skewed variance lies below it, which Q_e(0.5) < 0 captures. Q_e is increasing in p, so
quantiles never cross, and the in-sample coverage of each level is right by construction. Q_e is stored on
a grid of 201 levels and interpolated linearly in between.
"""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, TypeAlias

import numpy as np
import pandas as pd

from forge_core.features.daily import PROXIES, VARIANCE_FLOOR
from forge_core.features.feature_sets import FeatureSet
from forge_core.models.forecast import Forecast
from forge_core.quantiles import QUANTILE_LEVELS, checked_levels

if TYPE_CHECKING:
    from optuna.trial import BaseTrial

QUANTILE_GRID = np.linspace(0.0, 1.0, 201)
# Fewer finite in-sample residuals than this give no usable quantiles.
MIN_RESIDUALS = 30
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ForecastTask:
    """What a model forecasts: the mean of ``<proxy>_d`` over the next ``horizon`` trading days."""

    horizon: int
    proxy: str

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}")
        if self.proxy not in PROXIES:
            raise ValueError(f"unknown proxy {self.proxy!r}; choose one of {PROXIES}")

    @property
    def daily_column(self) -> str:
        """The feature column of the daily proxy, e.g. ``parkinson_d``."""
        return f"{self.proxy}_d"


@dataclass(frozen=True)
class Empty:
    """The hyperparameters or fitted state of a model that has none."""


WarmStart = Mapping[str, float | int | str]
Validation = tuple[pd.DataFrame, np.ndarray]  # validation rows and their targets
SearchSpace: TypeAlias = "Callable[[BaseTrial], dict[str, Any]]"


@dataclass(frozen=True)
class Runtime:
    """Where and how a model trains: device, precision, checkpoint folder and a progress log.

    Not a hyperparameter: it never changes what a model learns up to numerics, and is not saved with it. Models
    that do not train iteratively (the baselines) ignore it.
    """

    device: str = "cpu"
    precision: Literal["fp32", "bf16"] = "fp32"
    checkpoint_dir: Path | None = None
    log: Callable[[str], None] | None = None

    def under(self, *parts: str) -> Runtime:
        """The same runtime with its checkpoints in a sub-folder (one per symbol and window, say)."""
        if self.checkpoint_dir is None:
            return self
        return dataclasses.replace(self, checkpoint_dir=self.checkpoint_dir.joinpath(*parts))


class VolatilityModel(ABC):
    """A variance forecaster with a fixed task. A family is declared once, by its subclass:

    - ``family`` (its name), ``description`` (one sentence for people), ``group`` (``baselines`` or
      ``deep_models``), ``kinds`` (what it runs on, shown as tags), ``pool`` (a concurrency pool its fits
      share, e.g. ``gpu``) and ``search_space`` (a function of an Optuna trial, or None when not tunable);
    - optionally ``rows_needed`` (how many trailing rows the forecast of the last row reads; None, the default:
      the whole history, as recursions need), which lets a live forecast skip the rest;
    - ``Params`` and ``State``: frozen dataclasses of its hyperparameters and of its fitted state;
    - ``_fit`` and ``_predict`` (and optionally ``_calibrate`` and ``_forecast``);
    - optionally ``feature_params``: how it takes an optional feature set (``forge_core.features.feature_sets``).

    Registering the class (``forge_core.models.registry``) is all that is needed: its forecast and
    hyperparameter assets, search space and tracking follow from these attributes.
    """

    family: ClassVar[str]
    description: ClassVar[str]
    group: ClassVar[str] = "baselines"
    kinds: ClassVar[frozenset[str]] = frozenset(
        {"python"}
    )  # one kind: assets add mlflow and duckdb (Dagster shows 3)
    pool: ClassVar[str | None] = None
    # what the family supports, declared (as darts and arch do), never found by type checks: the name of the
    # ``forge_core.paths`` simulator that draws its paths (None: the family has none)
    path_simulator: ClassVar[str | None] = None
    search_space: ClassVar[staticmethod[[BaseTrial], dict[str, Any]] | None] = None
    Params: ClassVar[type] = Empty
    State: ClassVar[type]

    def __init__(self, task: ForecastTask, runtime: Runtime | None = None, **params: Any) -> None:
        names = [f.name for f in dataclasses.fields(self.Params)]
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ValueError(f"{self.family}: unknown params {unknown}; accepted: {names}")
        self.task = task
        self.runtime = runtime or Runtime()
        self.history: list[dict[str, float]] = []  # per-epoch metrics of iterative training (the nets)
        self.hyper = self.Params(**params)
        self.state: Any = None
        self.residual_quantiles: np.ndarray | None = None

    # -- fitting and forecasting -------------------------------------------------------------------------
    def fit(
        self,
        train: pd.DataFrame,
        target: pd.Series,
        valid: tuple[pd.DataFrame, pd.Series] | None = None,
        *,
        warm_start: WarmStart | None = None,
    ) -> Self:
        """Fit on ``train`` rows and their aligned targets (rows whose target is NaN are left out), then
        calibrate the predictive distribution.

        ``valid`` is a validation split for models that stop early (the nets; without it they hold out a purged
        tail of ``train``); the baselines ignore it. ``warm_start`` is the ``params()`` of an earlier fit of the
        same family; models with an iterative optimiser (GARCH) start from it, the others ignore it."""
        y = self._target_values(train, target)
        valid_rows = None if valid is None else (valid[0], self._target_values(*valid))
        self.state = self._fit(train, y, warm_start, valid_rows)
        self._calibrate(train, y, valid_rows)
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Variance forecast for t+1..t+h at the close of each row t; uses only rows <= t."""
        self._check_rows(features)
        if self.state is None:
            raise RuntimeError(f"{self.family}: fit or load the model before predicting")
        return self._predict(features)

    def predict_quantiles(
        self, features: pd.DataFrame, levels: Sequence[float] = QUANTILE_LEVELS
    ) -> pd.DataFrame:
        """Quantiles of the predictive distribution (variance units), columns ``q05``, ``q50``, ..., indexed like
        ``features``; ``levels`` must be strictly increasing in (0, 1)."""
        return self.forecast(features, levels).quantiles.set_axis(features.index)

    def rows_needed(self) -> int | None:
        """How many trailing rows of ``features`` the forecast of the last row depends on; None: all of them."""
        return None

    def forecast(self, features: pd.DataFrame, levels: Sequence[float] = QUANTILE_LEVELS) -> Forecast:
        """The point forecast and the quantiles at ``levels`` of every row, from one pass over ``features``."""
        point, values = self.forecast_values(features, levels)
        return Forecast.for_rows(features, point, tuple(map(float, levels)), values)

    def forecast_values(
        self, features: pd.DataFrame, levels: Sequence[float] = QUANTILE_LEVELS
    ) -> tuple[np.ndarray, np.ndarray]:
        """``forecast``'s arrays alone: point forecasts (rows,) and quantile values (rows x levels), for callers
        that assemble one result from many models (serving a market: one symbol per model)."""
        lv = checked_levels(levels)
        self._check_rows(features)
        if self.state is None:
            raise RuntimeError(f"{self.family}: fit or load the model before predicting")
        return self._forecast(features, lv)

    def _forecast(self, features: pd.DataFrame, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Point forecasts and quantile values (rows x levels): the point forecast times the empirical quantiles
        of the in-sample log residuals, so quantiles never cross."""
        point = self._predict(features)
        assert self.residual_quantiles is not None
        shift = np.interp(levels, QUANTILE_GRID, self.residual_quantiles)
        return point, point[:, None] * np.exp(shift)[None, :]

    @abstractmethod
    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> Any:
        """The fitted ``State`` from training rows and their targets (NaN where unknown)."""

    @abstractmethod
    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        """Point forecasts for every row of ``features``, NaN where the inputs are missing."""

    def _calibrate(self, train: pd.DataFrame, y: np.ndarray, valid: Validation | None) -> None:
        """Store the empirical quantiles of log(y) - log(in-sample forecast), logs floored as the features."""
        fitted = self._predict(train)
        ok = np.isfinite(y) & np.isfinite(fitted) & (fitted > 0)
        if ok.sum() < MIN_RESIDUALS:
            raise ValueError(f"{self.family}: {ok.sum()} usable training rows, need at least {MIN_RESIDUALS}")
        resid = np.log(np.maximum(y[ok], VARIANCE_FLOOR)) - np.log(fitted[ok])
        self.residual_quantiles = np.quantile(resid, QUANTILE_GRID)

    def validation_checks(self) -> dict[str, bool]:
        """Named pass/fail facts of the last fit that a platform check should enforce (the nets: beating the
        random walk on their validation rows); none for models without a validation set."""
        return {}

    @classmethod
    def feature_params(cls, sets: Sequence[FeatureSet], include: bool) -> dict[str, str]:
        """The params that add (``include``) or take away the columns of ``sets``; ValueError where the family
        cannot. The default: a family whose forecasts read only the return history takes none."""
        raise ValueError(
            f"{cls.family} takes no optional feature sets: it forecasts from the return history alone"
        )

    def feature_columns(self) -> list[str] | None:
        """The input columns a fitted model reads, when it keeps a fixed list (HAR, log-HAR, the nets); None
        otherwise (the recursions, which read the return history)."""
        return None

    def input_columns(self) -> tuple[str, ...]:
        """The panel columns its fit and forecasts may read, declared before it is fitted: a window whose rows of
        these columns (and of its target) are unchanged gets the same forecasts, so a re-run keeps it
        (``forge_core.forecasting.walk_forward.inputs_digest``). Default: the daily proxy's own history."""
        return (self.task.daily_column,)

    # -- description and persistence ---------------------------------------------------------------------
    def params(self) -> dict[str, float | int | str]:
        """Task, hyperparameters and (once fitted) the fitted state, flat and JSON-serialisable."""
        out: dict[str, float | int | str] = {
            "family": self.family,
            "horizon": self.task.horizon,
            "proxy": self.task.proxy,
        }
        out.update(dataclasses.asdict(self.hyper))
        if self.state is not None:
            out.update(dataclasses.asdict(self.state))
        return out

    def save(self, path: Path) -> None:
        """Write the model as JSON: format version, family, task, hyperparameters, fitted state and what the
        family adds (``_saved``: the baselines' residual quantiles; the nets' scaler, with their weights beside)."""
        if not self._is_fitted():
            raise RuntimeError(f"{self.family}: fit the model before saving it")
        doc = {
            "format_version": FORMAT_VERSION,
            "family": self.family,
            "task": dataclasses.asdict(self.task),
            "params": dataclasses.asdict(self.hyper),
            "state": dataclasses.asdict(self.state),
            **self._saved(Path(path)),
        }
        Path(path).write_text(json.dumps(doc, indent=1, allow_nan=False))

    @classmethod
    def load(cls, path: Path, runtime: Runtime | None = None) -> Self:
        """Read a model written by ``save``; its family and format version must be this class's."""
        doc = json.loads(Path(path).read_text())
        if doc.get("family") != cls.family or doc.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{path}: holds family {doc.get('family')!r} v{doc.get('format_version')}, "
                f"not {cls.family!r} v{FORMAT_VERSION}"
            )
        model = cls(ForecastTask(**doc["task"]), runtime, **doc["params"])
        model.state = cls.State(**doc["state"])
        model._restore(doc, Path(path))
        return model

    def _is_fitted(self) -> bool:
        return self.state is not None and self.residual_quantiles is not None

    def _saved(self, path: Path) -> dict[str, Any]:
        """What the family keeps besides params and state (files it writes go beside ``path``)."""
        assert self.residual_quantiles is not None
        return {"residual_quantiles": self.residual_quantiles.tolist()}

    def _restore(self, doc: Mapping[str, Any], path: Path) -> None:
        """Read back what ``_saved`` wrote."""
        self.residual_quantiles = np.asarray(doc["residual_quantiles"], dtype=float)

    # -- checks ------------------------------------------------------------------------------------------
    def _target_values(self, train: pd.DataFrame, target: pd.Series) -> np.ndarray:
        self._check_rows(train)
        if not target.index.equals(train.index):
            raise ValueError(f"{self.family}: target must have the same index as the training rows")
        values: np.ndarray = target.to_numpy(dtype=float)
        return values

    def _check_rows(self, frame: pd.DataFrame) -> None:
        if "symbol" in frame and frame["symbol"].nunique() > 1:
            raise ValueError(f"{self.family}: rows must be of one symbol")
        if "date" in frame and not (frame["date"].is_monotonic_increasing and frame["date"].is_unique):
            raise ValueError(f"{self.family}: rows must be in strictly ascending date order")
