"""Random walk: tomorrow's mean variance is the recent past's,  f_t = (1/h) * sum_{i=0..h-1} proxy_{t-i}."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forge_core.models.base import Empty, Validation, VolatilityModel, WarmStart


class RandomWalkModel(VolatilityModel):
    """Mean of the last h daily proxies up to and including t; NaN on the first h-1 rows of ``features``."""

    family = "random_walk"
    description = "Random walk: the mean of the proxy over the last h days."
    State = Empty

    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> Empty:
        return Empty()

    def rows_needed(self) -> int:
        """The mean of the last h rows."""
        return self.task.horizon

    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        h = self.task.horizon
        mean: np.ndarray = (
            features[self.task.daily_column].rolling(h, min_periods=h).mean().to_numpy(dtype=float)
        )
        return mean
