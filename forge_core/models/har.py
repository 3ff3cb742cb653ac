"""HAR (Corsi 2009) in levels:  y_t = b0 + b_d * x_t + b_w * x^(w)_t + b_m * x^(m)_t [+ sum_j c_j z_{j,t}] + e_t,

where x = ``<proxy>_d`` and x^(w), x^(m) its 5- and 22-day means, fitted by OLS. OLS in levels can
forecast a negative variance, so forecasts are floored at the smallest positive training target.

HAR-X: ``exog`` names extra positive panel columns z_j that scale with the variance (the option-implied variance
``atm_var_30d``, the VIX level), in levels; a row without one of them has no forecast. A feature set (``vix``,
``options``) becomes ``exog`` through ``feature_params``: its ``positive_columns``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forge_core.features.feature_sets import FeatureSet
from forge_core.models.base import Validation, VolatilityModel, WarmStart
from forge_core.settings import comma_list


def har_design(features: pd.DataFrame, proxy: str, prefix: str = "") -> np.ndarray:
    """Columns [1, x_d, x_w, x_m] of ``{prefix}{proxy}_d/_w/_m`` (NaN where a window is incomplete)."""
    cols = [f"{prefix}{proxy}_{s}" for s in ("d", "w", "m")]
    x = features[cols].to_numpy(dtype=float)
    return np.column_stack([np.ones(len(x)), x])


@dataclass(frozen=True)
class OlsFit:
    """An OLS fit (``ols``).

    Attributes
    ----------
    coefficients : np.ndarray
        One per column of the design.
    residual_variance : float
        SSR / (n - k).
    n_obs : int
        Rows fitted on (target and every column finite).
    """

    coefficients: np.ndarray
    residual_variance: float
    n_obs: int


def ols(x: np.ndarray, y: np.ndarray) -> OlsFit:
    """OLS of y on x over rows where both are finite."""
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    n, k = int(ok.sum()), x.shape[1]
    if n <= 2 * k:
        raise ValueError(f"HAR needs more than {2 * k} complete training rows, got {n}")
    beta, *_ = np.linalg.lstsq(x[ok], y[ok], rcond=None)
    resid = y[ok] - x[ok] @ beta
    return OlsFit(beta, float(resid @ resid / (n - k)), n)


@dataclass(frozen=True)
class ExogParams:
    """``exog``: comma-separated positive panel columns of HAR-X; empty for the plain HAR."""

    exog: str = ""

    @property
    def columns(self) -> list[str]:
        return list(comma_list(self.exog))

    def values(self, features: pd.DataFrame, family: str) -> np.ndarray:
        """The exog columns of ``features`` (n, k), NaN where not positive."""
        missing = [c for c in self.columns if c not in features]
        if missing:
            raise ValueError(f"{family}: exog columns {missing} are not in the features")
        z = features[self.columns].to_numpy(dtype=float)
        return np.where(z > 0, z, np.nan)


def exog_params(family: str, sets: Sequence[FeatureSet], include: bool) -> dict[str, str]:
    """HAR-X's params for ``sets``: their positive columns as ``exog`` (the HAR family takes no set by default,
    so there is none to take away)."""
    names = [s.name for s in sets]
    if not include:
        raise ValueError(f"{family} takes no feature set by default: there is no {names} to take away")
    without = [s.name for s in sets if not s.positive_columns]
    if without:
        raise ValueError(f"{family} takes only positive variance-scaled columns (HAR-X); {without} have none")
    return {"exog": ",".join(c for s in sets for c in s.positive_columns)}


@dataclass(frozen=True)
class HarState:
    const: float
    beta_d: float
    beta_w: float
    beta_m: float
    floor: float  # forecasts below this are raised to it
    n_obs: int
    beta_x: tuple[float, ...] = field(default=())  # of the exog columns, in order

    def __post_init__(self) -> None:
        object.__setattr__(self, "beta_x", tuple(self.beta_x))  # a list when read back from JSON

    @property
    def coef(self) -> np.ndarray:
        return np.array([self.const, self.beta_d, self.beta_w, self.beta_m, *self.beta_x])


class ExogModel(VolatilityModel):
    """A HAR family with optional positive exogenous regressors (HAR-X): its params and how it takes a feature set."""

    Params = ExogParams
    hyper: ExogParams

    @classmethod
    def feature_params(cls, sets: Sequence[FeatureSet], include: bool) -> dict[str, str]:
        return exog_params(cls.family, sets, include)


class HarModel(ExogModel):
    """Linear HAR on the variance proxy in levels."""

    family = "har"
    description = "HAR (Corsi 2009): OLS of the target on the proxy's 1-, 5- and 22-day means (HAR-X: exog)."
    State = HarState

    def _design(self, features: pd.DataFrame) -> np.ndarray:
        """[1, d, w, m, z_1, ..] per row."""
        base = har_design(features, self.task.proxy)
        if not self.hyper.columns:
            return base
        return np.column_stack([base, self.hyper.values(features, self.family)])

    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> HarState:
        fit = ols(self._design(train), y)
        positive = y[np.isfinite(y) & (y > 0)]
        if positive.size == 0:
            raise ValueError("har: no positive training target to floor forecasts at")
        const, beta_d, beta_w, beta_m, *beta_x = map(float, fit.coefficients)
        return HarState(
            const, beta_d, beta_w, beta_m, floor=float(positive.min()), n_obs=fit.n_obs, beta_x=tuple(beta_x)
        )

    def rows_needed(self) -> int:
        """Its features hold their own averages: the last row alone."""
        return 1

    def input_columns(self) -> tuple[str, ...]:
        return tuple(self.feature_columns())

    def feature_columns(self) -> list[str]:
        return [*(f"{self.task.proxy}_{s}" for s in ("d", "w", "m")), *self.hyper.columns]

    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        state: HarState = self.state
        forecast: np.ndarray = np.maximum(self._design(features) @ state.coef, state.floor)
        return forecast
