"""The ``Forecast`` result object every model family returns, and the walk-forward and the store consume.

In the style of arch's forecast results: one value holding, for rows indexed by (symbol, date), the point
forecast of the mean daily variance over t+1..t+h made at the close of t, the predictive quantiles keyed by
level (Monte Carlo paths are the live sets' fans: ``forge_core.paths``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forge_core.quantiles import checked_levels, quantile_label

INDEX_NAMES = ("symbol", "date")


@dataclass(frozen=True, eq=False)
class Forecast:
    """Variance forecasts for ``len(index)`` rows.

    Parameters
    ----------
    index : pandas.MultiIndex
        (symbol, date) of each row: the day t at whose close the forecast was made.
    variance : numpy.ndarray, shape (n,)
        Point forecast :math:`\\hat\\sigma^2_t = E[\\bar y_{t+1..t+h} \\mid \\mathcal F_t]`, NaN where a model had
        no complete inputs.
    levels : tuple of float
        Strictly increasing quantile levels in (0, 1).
    quantile_values : numpy.ndarray, shape (n, len(levels))
        :math:`q_t(p)`, non-decreasing in :math:`p` on every row.
    """

    index: pd.MultiIndex
    variance: np.ndarray
    levels: tuple[float, ...]
    quantile_values: np.ndarray

    def __post_init__(self) -> None:
        checked_levels(self.levels)
        n = len(self.index)
        if self.variance.shape != (n,) or self.quantile_values.shape != (n, len(self.levels)):
            raise ValueError(
                f"forecast of {n} rows needs variance ({n},) and quantiles ({n}, {len(self.levels)}); got "
                f"{self.variance.shape} and {self.quantile_values.shape}"
            )

    @classmethod
    def for_rows(
        cls,
        features: pd.DataFrame,
        variance: np.ndarray,
        levels: Sequence[float],
        quantile_values: np.ndarray,
    ) -> Forecast:
        """The forecast of ``features``' rows, indexed by their ``symbol`` and ``date`` columns."""
        symbols = features["symbol"] if "symbol" in features else pd.Series("", index=features.index)
        dates = features["date"] if "date" in features else pd.Series(features.index, index=features.index)
        index = pd.MultiIndex.from_arrays(
            [symbols.astype(str).to_numpy(), dates.to_numpy()], names=INDEX_NAMES
        )
        return cls(index, np.asarray(variance, dtype=float), tuple(map(float, levels)), quantile_values)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def quantile_columns(self) -> list[str]:
        """``q05``, ``q10``, ... for ``levels``."""
        return [quantile_label(level) for level in self.levels]

    @property
    def quantiles(self) -> pd.DataFrame:
        """The quantiles as a frame indexed like the forecast, one column per level (``q05``, ...)."""
        return pd.DataFrame(self.quantile_values, index=self.index, columns=self.quantile_columns)

    def quantile(self, level: float) -> np.ndarray:
        """The quantile at one of ``levels``."""
        if level not in self.levels:
            raise KeyError(f"level {level} is not among the forecast's levels {list(self.levels)}")
        return self.quantile_values[:, self.levels.index(level)]

    def take(self, rows: np.ndarray) -> Forecast:
        """The forecast of a subset of rows (a boolean mask or positions)."""
        return Forecast(
            self.index[rows],
            self.variance[rows],
            self.levels,
            self.quantile_values[rows],
        )

    def to_frame(self) -> pd.DataFrame:
        """Columns ``symbol``, ``date``, ``forecast`` and one per quantile level, a row per forecast."""
        frame = self.index.to_frame(index=False)
        frame["forecast"] = self.variance
        frame[self.quantile_columns] = self.quantile_values
        return frame
