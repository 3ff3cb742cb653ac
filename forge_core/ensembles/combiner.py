"""The interface every forecast combiner implements, and the walk through the days that enforces the delay rule.

A combiner is declared once, by its subclass: ``name``, ``description``, ``space`` (combine in levels or in
logs), ``refit`` (its default refit calendar), ``Params`` (a frozen dataclass of hyperparameters), ``_fit`` (a
state from the history visible at a block start) and ``_mix_days`` (the weights of a block's days from that
state). ``combine`` walks the days in order and fits at every block start on ``PanelArrays.visible(start)``; a
day t's weights may read ``PanelArrays.visible(t)`` and the forecasts and context of rows up to t
(``PanelArrays.known_rows``), so none can use a realised value before it is known (see ``visible_history``;
every combiner is perturbation-tested for it). Weighing a block's days at once keeps combiners whose weights
hold through a block (or depend only on the day's forecasts and context) free of a per-day Python loop.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

import numpy as np
import pandas as pd

from forge_core.ensembles.combination import WEIGHT_TOLERANCE, Combination, combine_levels
from forge_core.ensembles.member_panel import MemberPanel
from forge_core.ensembles.visible_history import FloatArray, IndexArray, PanelArrays, VisibleHistory

StateT = TypeVar("StateT")
Space = Literal["level", "log"]
# The context a combiner may read, known at each day's close: log Parkinson variance of the day, week and month, and
# the filtered probability of the most turbulent Markov-switching regime (``load_features_with_regime``; NaN
# without a row).
FEATURE_CONTEXT = ("log_parkinson_d", "log_parkinson_w", "log_parkinson_m")
REGIME_CONTEXT = "regime_turbulent"
UNKNOWN_REGIME = -1.0  # its value on a day without a regime row (a panel's context must be finite)


@dataclass(frozen=True)
class CombinerParams:
    """Hyperparameters every combiner has: until ``min_history`` rows have realised, equal weights."""

    least_history: ClassVar[int] = 1  # the fewest rows a fit can use
    min_history: int = 60

    def __post_init__(self) -> None:
        if self.min_history < self.least_history:
            raise ValueError(f"min_history must be >= {self.least_history}, got {self.min_history}")


class Combiner(ABC, Generic[StateT]):
    """Combines member forecasts day by day.

    The combined forecast of day t is, in levels, :math:`\\hat v_t = \\sum_k w_{tk} f_{tk}` and, in logs,
    :math:`\\hat v_t = \\exp(\\sum_k w_{tk} \\log f_{tk})`, with :math:`w_t` on the simplex. :math:`w_t` is a
    function of what is known at the close of t only: forecasts and context of rows <= t and realised values of
    rows <= t - h. A combiner first fits on the first day with ``min_history`` realised rows visible (equal
    weights before: the fallback), then refits at the first day of each period of ``refit_every`` (default
    ``refit``). ``device`` is where those that train (the meta-combiner) run; the others ignore it.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    space: ClassVar[Space] = "level"
    refit: ClassVar[str] = "M"
    uncertain: ClassVar[bool] = False  # gives a log_std per day
    context_columns: ClassVar[tuple[str, ...]] = FEATURE_CONTEXT  # of the context it is given, what it reads
    Params: ClassVar[type[CombinerParams]] = CombinerParams

    def __init__(self, *, device: str = "cpu", **params: Any) -> None:
        names = [f.name for f in dataclasses.fields(self.Params)]
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ValueError(f"{self.name}: unknown params {unknown}; accepted: {names}")
        self.device = device
        self.hyper = self.Params(**params)

    def combine(
        self, panel: MemberPanel, days: pd.DatetimeIndex | None = None, *, refit_every: str | None = None
    ) -> Combination:
        """Weights and combined forecasts of ``days`` (default: every day of ``panel``).

        Fits at every block start up to the last requested day, whichever days are asked for, so a day's
        result never depends on ``days``."""
        every = refit_every or self.refit
        arrays = PanelArrays.of(panel)
        rows = _positions(panel.dates, days)
        last = int(rows[-1])
        starts = block_starts(panel.dates[: last + 1], every)
        wanted = np.zeros(last + 1, dtype=bool)
        wanted[rows] = True
        m = len(panel.members)
        weights = np.full((len(rows), m), 1.0 / m)
        log_std = np.full(len(rows), np.nan)
        fallback = np.ones(len(rows), dtype=bool)
        refits: list[int] = []
        state: StateT | None = None
        block: list[int] = []  # the wanted days since the last fit

        def weigh(days: list[int]) -> None:
            if state is None or not days:
                return
            at = np.searchsorted(rows, days)
            block_weights, block_std = self._mix_days(state, arrays, np.array(days))
            weights[at], log_std[at], fallback[at] = self._checked(block_weights, m), block_std, False

        for t in range(last + 1):
            if starts[t] or state is None:
                history = arrays.visible(t)
                if history.n_scored >= self.hyper.min_history:
                    weigh(block)
                    block, state = [], self._fit(history, state)
                    refits.append(t)
            if wanted[t]:
                block.append(t)
        weigh(block)
        index = panel.dates[rows]
        return Combination(
            combiner=self.name,
            weights=pd.DataFrame(weights, index=index, columns=list(panel.members)),
            variance=pd.Series(combine_levels(weights, arrays.forecasts[rows], self.space), index=index),
            log_std=pd.Series(log_std, index=index) if self.uncertain else None,
            fallback=pd.Series(fallback, index=index),
            refits=panel.dates[refits],
            refit_every=every,
            params=dataclasses.asdict(self.hyper),
        )

    @abstractmethod
    def _fit(self, history: VisibleHistory, previous: StateT | None) -> StateT:
        """The state learnt from ``history`` (at least ``min_history`` scored rows); ``previous`` is the state
        of the last fit, if any (a warm start)."""

    @abstractmethod
    def _mix_days(
        self, state: StateT, arrays: PanelArrays, days: IndexArray
    ) -> tuple[FloatArray, FloatArray]:
        """Weights (n, m) and log std of the log target (n,; NaN without an uncertainty head) of ``days``, the
        wanted days of one block (all after its fit). Day t may read ``arrays.visible(t)`` and the forecasts and
        context of the days themselves (``arrays.known_rows(days)``), nothing else."""

    def _checked(self, weights: FloatArray, m: int) -> FloatArray:
        """``weights`` (n, m) made exact: RuntimeError unless finite and >= 0 (to a tolerance), then clipped and
        scaled to sum to one per row."""
        if weights.shape[1:] != (m,) or not np.isfinite(weights).all() or weights.min() < -WEIGHT_TOLERANCE:
            raise RuntimeError(f"{self.name}: weights must be {m} finite values >= 0, got {weights}")
        clipped = np.maximum(weights, 0.0)
        totals = clipped.sum(axis=1, keepdims=True)
        if (totals <= 0).any():
            raise RuntimeError(f"{self.name}: weights sum to {totals.min()}")
        normalised: FloatArray = clipped / totals
        return normalised


class HeldWeights(Combiner[FloatArray]):
    """A combiner whose state is its weights, held through the block."""

    def _mix_days(
        self, state: FloatArray, arrays: PanelArrays, days: IndexArray
    ) -> tuple[FloatArray, FloatArray]:
        return held(state, days)


def held(weights: FloatArray, days: IndexArray) -> tuple[FloatArray, FloatArray]:
    """``weights`` on every one of ``days``, without an uncertainty (the mix of a block's held weights)."""
    return np.tile(weights, (len(days), 1)), np.full(len(days), np.nan)


def block_starts(dates: pd.DatetimeIndex, every: str) -> np.ndarray:
    """True at the first day of each period of ``every`` (a pandas period alias: ``D`` every day, ``W``, ``M``,
    ``Q``, ``Y``), and at the first day."""
    try:
        periods = dates.to_period(every)
    except ValueError as error:
        raise ValueError(
            f"refit_every must be a pandas period alias such as 'D', 'M' or 'Q': {error}"
        ) from None
    starts = np.ones(len(dates), dtype=bool)
    starts[1:] = periods[1:] != periods[:-1]
    return starts


def _positions(dates: pd.DatetimeIndex, days: pd.DatetimeIndex | None) -> np.ndarray:
    """Sorted, unique positions of ``days`` in ``dates``; ValueError naming the first days not there."""
    if days is None:
        return np.arange(len(dates))
    positions = dates.get_indexer(pd.DatetimeIndex(days))
    if (positions < 0).any():
        missing = ", ".join(str(day.date()) for day in pd.DatetimeIndex(days)[positions < 0][:3])
        raise ValueError(f"days not in the panel: {missing}")
    if len(positions) == 0:
        raise ValueError("days is empty")
    return np.unique(positions)
