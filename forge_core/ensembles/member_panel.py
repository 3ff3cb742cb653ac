"""The input of every combiner: the out-of-sample forecasts of several member models for one symbol and target,
with the realised target value of each day and optional context features known at each day's close."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SHOWN_DAYS = 3  # missing days named per member in an error message


@dataclass(frozen=True)
class MemberPanel:
    """Member forecasts of one symbol x one target, a row per forecast day.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Index: the days t at whose close the forecasts were made (a strictly increasing DatetimeIndex, the
        symbol's trading days); columns: member names; values: variance forecasts, finite and > 0.
    realised : pandas.Series
        Same index: the target the forecast of day t aims at (mean variance over t+1..t+h), >= 0; NaN where not
        (yet) realised. Combiners read the value of row i only from position i + h on (see ``VisibleHistory``).
    horizon : int
        h >= 1, in trading days.
    context : pandas.DataFrame, optional
        Same index: numeric features known at each day's close (finite), for the regime and meta combiners.
    """

    forecasts: pd.DataFrame
    realised: pd.Series
    horizon: int
    context: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}")
        index = self.forecasts.index
        if not isinstance(index, pd.DatetimeIndex) or not (index.is_monotonic_increasing and index.is_unique):
            raise ValueError("forecasts must be indexed by strictly increasing dates (a DatetimeIndex)")
        if len(index) == 0:
            raise ValueError("the panel has no days")
        names = [str(name) for name in self.forecasts.columns]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"need at least one member with a unique name, got {names}")
        _require_complete(self.forecasts)
        values = self.forecasts.to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"member {names[col]} forecast on {index[row].date()} is {values[row, col]}; must be finite and > 0"
            )
        if not self.realised.index.equals(index):
            raise ValueError("realised must have the same index as forecasts")
        y = self.realised.to_numpy(dtype=float)
        bad_y = np.flatnonzero(np.isinf(y) | (y < 0))
        if bad_y.size:
            raise ValueError(f"realised on {index[bad_y[0]].date()} is {y[bad_y[0]]}; must be >= 0 or NaN")
        if self.context is not None:
            if not self.context.index.equals(index):
                raise ValueError("context must have the same index as forecasts")
            ctx = self.context.to_numpy(dtype=float)
            bad_c = np.argwhere(~np.isfinite(ctx))
            if bad_c.size:
                row, col = bad_c[0]
                raise ValueError(
                    f"context column {self.context.columns[col]} on {index[row].date()} is {ctx[row, col]}; "
                    "must be finite"
                )

    @classmethod
    def from_long(cls, rows: pd.DataFrame, horizon: int, context: pd.DataFrame | None = None) -> MemberPanel:
        """The panel of long rows with columns ``date``, ``model``, ``forecast`` and ``realised`` (one symbol and
        target, as the store returns them); every member must forecast every day present."""
        forecasts = rows.pivot(index="date", columns="model", values="forecast").sort_index()
        forecasts.index = pd.DatetimeIndex(forecasts.index)
        forecasts.columns = [str(name) for name in forecasts.columns]
        realised = rows.groupby(pd.DatetimeIndex(rows["date"]))["realised"].first().astype(float)
        context = None if context is None else context.reindex(forecasts.index)
        return cls(forecasts, realised.reindex(forecasts.index), horizon, context)

    @property
    def members(self) -> tuple[str, ...]:
        """The member names, in column order."""
        return tuple(str(name) for name in self.forecasts.columns)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The forecast days."""
        dates: pd.DatetimeIndex = self.forecasts.index
        return dates


def _require_complete(forecasts: pd.DataFrame) -> None:
    """ValueError naming every member without a forecast on some day, with its first missing days."""
    missing = forecasts.isna()
    if not missing.to_numpy().any():
        return
    parts = []
    for name in forecasts.columns[missing.any().to_numpy()]:
        days = forecasts.index[missing[name].to_numpy()]
        shown = ", ".join(str(day.date()) for day in days[:SHOWN_DAYS])
        more = f" (+{len(days) - SHOWN_DAYS} more)" if len(days) > SHOWN_DAYS else ""
        parts.append(f"{name} on {shown}{more}")
    raise ValueError("members must forecast every day; missing: " + "; ".join(parts))
