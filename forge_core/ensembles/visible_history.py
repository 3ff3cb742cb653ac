"""The delay rule, in one place: what a combiner may know at the close of a day.

A forecast made at the close of day t (row position j of one symbol's sorted trading days) aims at the mean
variance over t+1..t+h, which is realised at the close of position j + h. So at the close of position t only the
realised values of rows i <= t - h are known: ``PanelArrays.visible(t)`` cuts every array there (forecasts and
context at row t, realised values and losses at row t - h), and combiners see the panel only through it. Should
a panel skip a trading day, positions lie further apart than trading days, so the rule only gets stricter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from forge_core.ensembles.member_panel import MemberPanel
from forge_core.evaluation.losses import qlike
from forge_core.features.daily import VARIANCE_FLOOR

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


@dataclass(frozen=True)
class VisibleHistory:
    """Everything known at the close of row position ``t`` (read-only arrays).

    Parameters
    ----------
    t : int
        The position of the day.
    horizon : int
        h: the target of row i is known from position i + h on.
    members, context_columns : tuple of str
        Column names of ``forecasts`` and ``context``.
    forecasts, log_forecasts : numpy.ndarray, shape (t + 1, m)
        Member forecasts :math:`f_{ik}` and their logs, rows 0..t.
    context : numpy.ndarray, shape (t + 1, k), optional
        Context features, rows 0..t.
    realised, log_realised : numpy.ndarray, shape (max(t - h + 1, 0),)
        :math:`y_i` and :math:`\\log \\max(y_i, 10^{-12})`, rows 0..t - h, NaN where not realised.
    losses : numpy.ndarray, shape (max(t - h + 1, 0), m)
        QLIKE of every member, :math:`L_{ik} = y_i / f_{ik} - \\log(y_i / f_{ik}) - 1` (y floored as the
        logs), rows 0..t - h, NaN where not realised.
    scored_rows : numpy.ndarray of int
        Positions of the rows with a realised value (``realised`` finite), increasing.
    """

    t: int
    horizon: int
    members: tuple[str, ...]
    context_columns: tuple[str, ...]
    forecasts: FloatArray
    log_forecasts: FloatArray
    context: FloatArray | None
    realised: FloatArray
    log_realised: FloatArray
    losses: FloatArray
    scored_rows: IndexArray

    @property
    def n_scored(self) -> int:
        """How many rows have a known realised value."""
        return len(self.scored_rows)

    def recent(self, window: int | None) -> IndexArray:
        """Positions of the last ``window`` scored rows (all of them for None)."""
        return self.scored_rows if window is None else self.scored_rows[-window:]


@dataclass(frozen=True)
class PanelArrays:
    """A panel as read-only arrays, with the QLIKE of every realised row computed once."""

    horizon: int
    members: tuple[str, ...]
    context_columns: tuple[str, ...]
    forecasts: FloatArray
    log_forecasts: FloatArray
    context: FloatArray | None
    realised: FloatArray
    log_realised: FloatArray
    losses: FloatArray
    scored_rows: IndexArray

    @classmethod
    def of(cls, panel: MemberPanel) -> PanelArrays:
        f = panel.forecasts.to_numpy(dtype=np.float64, copy=True)
        y = panel.realised.to_numpy(dtype=np.float64, copy=True)
        scored = np.flatnonzero(np.isfinite(y))
        y_floor = np.maximum(y[scored], VARIANCE_FLOOR)
        m = f.shape[1]
        losses = np.full_like(f, np.nan)
        losses[scored] = qlike(np.repeat(y_floor, m), f[scored].ravel()).reshape(len(scored), m)
        log_y = np.full_like(y, np.nan)
        log_y[scored] = np.log(y_floor)
        context = None if panel.context is None else panel.context.to_numpy(dtype=np.float64, copy=True)
        arrays = cls(
            horizon=panel.horizon,
            members=panel.members,
            context_columns=() if panel.context is None else tuple(map(str, panel.context.columns)),
            forecasts=f,
            log_forecasts=np.log(f),
            context=context,
            realised=y,
            log_realised=log_y,
            losses=losses,
            scored_rows=scored,
        )
        for array in (arrays.forecasts, arrays.log_forecasts, context, y, log_y, losses, scored):
            if array is not None:
                array.setflags(write=False)
        return arrays

    def known_rows(self, days: IndexArray) -> tuple[FloatArray, FloatArray | None]:
        """Log forecasts (n, m) and context (n, k) of the rows ``days``: what each day knows of itself."""
        return self.log_forecasts[days], None if self.context is None else self.context[days]

    def visible(self, t: int) -> VisibleHistory:
        """What is known at the close of position ``t``: rows 0..t of forecasts and context, and realised values
        and losses only of rows 0..t - h."""
        known = max(t - self.horizon + 1, 0)
        return VisibleHistory(
            t=t,
            horizon=self.horizon,
            members=self.members,
            context_columns=self.context_columns,
            forecasts=self.forecasts[: t + 1],
            log_forecasts=self.log_forecasts[: t + 1],
            context=None if self.context is None else self.context[: t + 1],
            realised=self.realised[:known],
            log_realised=self.log_realised[:known],
            losses=self.losses[:known],
            scored_rows=self.scored_rows[: int(np.searchsorted(self.scored_rows, known))],
        )
