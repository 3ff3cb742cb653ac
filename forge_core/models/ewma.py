"""RiskMetrics EWMA:  s_t = lambda * s_{t-1} + (1 - lambda) * proxy_t,  f_t = s_t for every horizon h
(no mean reversion). The recursion starts at the first row of ``features`` from s_{-1} = the training
mean of the proxy, so pass earlier rows to warm it up (lambda^100 ~ 0.2% at lambda = 0.94). A missing proxy (a
return-based one on the first bar after a gap) leaves the average where it was: s_t = s_{t-1}."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from optuna.trial import BaseTrial

from forge_core.models.base import Validation, VolatilityModel, WarmStart


@dataclass(frozen=True)
class EwmaParams:
    decay: float = 0.94  # lambda

    def __post_init__(self) -> None:
        if not 0 < self.decay < 1:
            raise ValueError(f"ewma: decay must be in (0, 1), got {self.decay}")


def ewma_space(trial: BaseTrial) -> dict[str, Any]:
    """The decay lambda; the RiskMetrics 0.94 lies inside."""
    return {"decay": trial.suggest_float("decay", 0.85, 0.99)}


@dataclass(frozen=True)
class EwmaState:
    initial_variance: float  # s_{-1}


class EwmaModel(VolatilityModel):
    """Exponentially weighted moving average of the daily proxy."""

    family = "ewma"
    description = "RiskMetrics EWMA of the proxy (lambda 0.94), flat over the horizon."
    search_space = staticmethod(ewma_space)
    Params = EwmaParams
    State = EwmaState

    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> EwmaState:
        return EwmaState(initial_variance=float(train[self.task.daily_column].mean()))

    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        from scipy.signal import lfilter  # scipy.signal loads scipy.stats (~1 s): only when an EWMA predicts

        lam = self.hyper.decay
        x = features[self.task.daily_column].to_numpy(dtype=float)
        out = np.empty(len(x))
        level = self.state.initial_variance
        known = np.isfinite(x)
        edges = np.flatnonzero(np.diff(known.astype(np.int8))) + 1
        for run in np.split(np.arange(len(x)), edges):  # runs of known and of missing values, in order
            if len(run) and known[run[0]]:
                out[run], _ = lfilter([1 - lam], [1, -lam], x[run], zi=[lam * level])
            else:
                out[run] = level
            if len(run):
                level = float(out[run[-1]])
        return out
