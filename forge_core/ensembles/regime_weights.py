"""Regime-weighted stacking: separate simplex weights per volatility regime, the regime known at forecast time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forge_core.ensembles.combiner import REGIME_CONTEXT, Combiner, CombinerParams
from forge_core.ensembles.stacking import qlike_stacking_weights
from forge_core.ensembles.visible_history import FloatArray, IndexArray, PanelArrays, VisibleHistory


@dataclass(frozen=True)
class RegimeParams(CombinerParams):
    n_regimes: int = 3  # quantile bins of the signal: terciles
    window: int = 22  # trading days of realised variance in the regime signal
    min_regime_history: int = 20  # scored rows a regime needs for weights of its own
    regime_column: str | None = None  # a context column of labels 0..n_regimes-1 to use instead of the signal

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n_regimes < 1 or self.window < 1 or self.min_regime_history < 1:
            raise ValueError("regime: n_regimes, window and min_regime_history must be >= 1")


@dataclass(frozen=True)
class RegimeState:
    edges: FloatArray  # (n_regimes - 1,) quantiles of the signal; empty with a regime column
    weights: FloatArray  # (n_regimes + 1, m): a row per regime, the last pooled over all (unknown regime)


class RegimeCombiner(Combiner[RegimeState]):
    """Stacking weights (see :func:`~forge_core.ensembles.stacking.qlike_stacking_weights`) fitted separately on
    the realised rows of each regime; a day takes the weights of its regime.

    The regime of day t is the bin of the trailing realised variance visible at t, with
    :math:`n = \\max(1, \\mathrm{round}(\\mathrm{window}/h))` non-overlapping realised targets,

    .. math:: s_t = \\frac{1}{n} \\sum_{l=1}^{n} y_{t - l h}
        \\quad (\\text{the mean daily variance over } t - nh + 1 .. t),

    binned at the 1/R, .., (R-1)/R quantiles of :math:`s` over the days up to the block start; or it is read from
    the context column ``regime_column``. A regime with fewer than ``min_regime_history`` realised rows (and a
    day whose signal is undefined) takes the pooled weights. Each fit starts from the previous block's weights.
    """

    name = "regime"
    description = (
        "Stacking weights per volatility regime (terciles of trailing realised variance known at t)."
    )
    Params = RegimeParams
    hyper: RegimeParams

    def _fit(self, history: VisibleHistory, previous: RegimeState | None) -> RegimeState:
        n = self.hyper.n_regimes
        rows = history.scored_rows
        if self.hyper.regime_column is None:
            signal = self._signal(history, np.arange(history.t + 1))
            edges = np.quantile(signal[np.isfinite(signal)], np.arange(1, n) / n)
            labels = self._bins(edges, signal[rows])
        else:
            edges = np.empty(0)
            labels = self._column_labels(history, rows)
        f, y = history.forecasts, history.realised
        start = None if previous is None else previous.weights
        weights = np.tile(
            qlike_stacking_weights(f[rows], y[rows], None if start is None else start[n]), (n + 1, 1)
        )
        for regime in range(n):
            chosen = rows[labels == regime]
            if len(chosen) >= self.hyper.min_regime_history:
                x0 = weights[n] if start is None else start[regime]
                weights[regime] = qlike_stacking_weights(f[chosen], y[chosen], x0)
        return RegimeState(edges, weights)

    def _mix_days(
        self, state: RegimeState, arrays: PanelArrays, days: IndexArray
    ) -> tuple[FloatArray, FloatArray]:
        # What the block's last day knows holds what each earlier day knew of its own regime: day t's signal reads
        # realised rows t - lh <= t - h and its context row t, all inside it; so one view labels every day.
        history = arrays.visible(int(days[-1]))
        if self.hyper.regime_column is None:
            labels = self._bins(state.edges, self._signal(history, days))
        else:
            labels = self._column_labels(history, days)
        return state.weights[labels], np.full(len(days), np.nan)

    def _signal(self, history: VisibleHistory, days: IndexArray) -> FloatArray:
        """:math:`s_t` of each of ``days`` (<= history.t) from the realised values visible at t; NaN if none."""
        h = history.horizon
        lags = h * np.arange(1, max(1, round(self.hyper.window / h)) + 1)
        positions = days[:, None] - lags[None, :]
        values = history.realised[np.maximum(positions, 0)]
        known = (positions >= 0) & np.isfinite(values)
        counts = known.sum(axis=1)
        sums = np.where(known, values, 0.0).sum(axis=1)
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    def _bins(self, edges: FloatArray, signal: FloatArray) -> IndexArray:
        """Regime of each signal value: its bin among ``edges``, n_regimes (pooled) where undefined."""
        labels = np.searchsorted(edges, signal, side="right")
        return np.where(np.isfinite(signal), labels, self.hyper.n_regimes)

    def _column_labels(self, history: VisibleHistory, days: IndexArray) -> IndexArray:
        column = self.hyper.regime_column
        if history.context is None or column not in history.context_columns:
            raise ValueError(f"regime: the panel's context has no column {column!r}")
        values = history.context[days, history.context_columns.index(column)]
        labels: IndexArray = values.astype(np.intp)
        if not np.array_equal(labels, values) or labels.min() < 0 or labels.max() >= self.hyper.n_regimes:
            raise ValueError(f"regime: {column} must hold whole numbers in 0..{self.hyper.n_regimes - 1}")
        return labels


@dataclass(frozen=True)
class MarkovRegimeParams(RegimeParams):
    n_regimes: int = 2  # calm, turbulent
    regime_column: str | None = REGIME_CONTEXT


class MarkovRegimeCombiner(RegimeCombiner):
    """``RegimeCombiner`` with the Markov-switching regime as its regime: day t is turbulent when the filtered
    probability of the most turbulent regime (the context column ``regime_column``, by default
    ``regime_turbulent`` from the ``regimes`` table: a model fitted before t's window, filtered through t) exceeds
    1/2, calm otherwise; a day without a regime row (``UNKNOWN_REGIME``, any negative value) takes the pooled
    weights."""

    name = "markov_regime"
    description = (
        "Stacking weights per Markov-switching regime (filtered probability of the turbulent one, at t)."
    )
    Params = MarkovRegimeParams
    context_columns = (REGIME_CONTEXT,)

    def _column_labels(self, history: VisibleHistory, days: IndexArray) -> IndexArray:
        column = self.hyper.regime_column
        if history.context is None or column not in history.context_columns:
            raise ValueError(f"{self.name}: the panel's context has no column {column!r}")
        probability = history.context[days, history.context_columns.index(column)]
        labels: IndexArray = np.where(
            probability >= 0, (probability > 0.5).astype(np.intp), self.hyper.n_regimes
        )
        return labels
