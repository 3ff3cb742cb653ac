"""The ``Intervals`` result: calibrated central prediction intervals of one series' variance forecasts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from forge_core.evaluation.losses import interval_coverage, interval_width
from forge_core.intervals import band_rules


@dataclass(frozen=True, eq=False)
class Intervals:
    """Central prediction intervals at several levels, one row per day that has one.

    Parameters
    ----------
    method : str
        The calibration method's registry name.
    horizon : int
        Days :math:`h` each forecast covers.
    levels : tuple of float
        Nominal central coverages, increasing.
    forecast : pandas.Series
        The model's raw variance forecast :math:`f_t` of each day with an interval.
    log_point : pandas.Series
        The log correction :math:`\\log(p_t / f_t)` of the published point :math:`p_t` (``point``): the bias its
        scores support (``log_scores``).
    log_lower, log_upper : pandas.DataFrame
        The bounds as log offsets from the forecast, :math:`\\log(\\ell_t / f_t)` and :math:`\\log(u_t / f_t)`,
        days x levels (columns named by level); ``lower`` and ``upper`` are the bounds themselves: finite,
        :math:`0 < \\text{lower} \\le \\text{upper}`, nested as produced (a higher level's interval contains a lower
        level's), the innermost upper end strictly below the outermost unless the window repeats a score.
    realised_scores : pandas.Series
        How many scores had been realised by each day's close (what the day's interval could draw on).
    warmup_days : int
        Leading days left without an interval because fewer than the minimum number of scores had been realised.
    """

    method: str
    horizon: int
    levels: tuple[float, ...]
    forecast: pd.Series
    log_point: pd.Series
    log_lower: pd.DataFrame
    log_upper: pd.DataFrame
    realised_scores: pd.Series
    warmup_days: int

    @cached_property
    def point(self) -> pd.Series:
        """The published point :math:`f_t e^{\\text{log\\_point}_t}`."""
        f = self.forecast.to_numpy(dtype=float)
        return pd.Series(f * np.exp(self.log_point.to_numpy()), index=self.forecast.index, name="point")

    @cached_property
    def lower(self) -> pd.DataFrame:
        """The lower bounds, days x levels."""
        return self._bounds(self.log_lower)

    @cached_property
    def upper(self) -> pd.DataFrame:
        """The upper bounds, days x levels."""
        return self._bounds(self.log_upper)

    def _bounds(self, offsets: pd.DataFrame) -> pd.DataFrame:
        f = self.forecast.to_numpy(dtype=float)
        return pd.DataFrame(
            f[:, None] * np.exp(offsets.to_numpy()), index=offsets.index, columns=offsets.columns
        )

    def __len__(self) -> int:
        return len(self.forecast)

    def between(self, first: object, last: object) -> Intervals:
        """The days from ``first`` to ``last``, both included."""
        keep = (self.forecast.index >= first) & (self.forecast.index <= last)
        return Intervals(
            self.method,
            self.horizon,
            self.levels,
            self.forecast[keep],
            self.log_point[keep],
            self.log_lower[keep],
            self.log_upper[keep],
            self.realised_scores[keep],
            self.warmup_days,
        )

    @property
    def skewed(self) -> pd.Series:
        """Days whose point lies outside its innermost (50%) band: a calibrated distribution so skewed that its
        mean passes a quartile. The point is never moved inside; these rows are flagged and counted."""
        inner = self.levels[0]
        return pd.Series(
            band_rules.skewed(self.point, self.lower[inner], self.upper[inner]),
            index=self.point.index,
            name="skewed",
        )

    def _known(self, realised: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """``realised`` on the interval days, and the mask of days where it is known."""
        y = realised.reindex(self.forecast.index).to_numpy(dtype=float)
        known = np.isfinite(y)
        if not known.any():
            raise ValueError(f"no realised value on any of the {len(self)} days with an interval")
        return y, known

    def coverage(self, realised: pd.Series) -> pd.Series:
        """Share of the days with a known realisation inside each level's interval:
        :math:`\\frac1n \\sum 1\\{\\ell_t \\le y_t \\le u_t\\}`."""
        y, known = self._known(realised)
        return pd.Series(
            [interval_coverage(y[known], self.lower[c].to_numpy()[known], self.upper[c].to_numpy()[known])
             for c in self.levels],
            index=self.lower.columns,
            name="coverage",
        )  # fmt: skip

    def width(self, *, relative: bool = False) -> pd.Series:
        """Mean width per level: in log units, :math:`\\overline{\\log(u_t / \\ell_t)}`, or relative to the forecast,
        :math:`\\overline{(u_t - \\ell_t) / f_t}`."""
        f = self.forecast.to_numpy()
        widths = [
            interval_width(self.lower[c] / f, self.upper[c] / f)
            if relative
            else interval_width(np.log(self.lower[c]), np.log(self.upper[c]))
            for c in self.levels
        ]
        return pd.Series(widths, index=self.lower.columns, name="relative_width" if relative else "log_width")

    def winkler(self, realised: pd.Series) -> pd.Series:
        """Mean Winkler (interval) score per level on the log scale, :math:`\\alpha = 1 - \\text{level}`:

        .. math:: W_t = (U_t - L_t) + \\tfrac{2}{\\alpha}(L_t - Y_t)^+ + \\tfrac{2}{\\alpha}(Y_t - U_t)^+,

        with :math:`L, U, Y` the logs of the bounds and of the realisation; lower is better, and its expectation is
        smallest for the true :math:`\\alpha/2` and :math:`1 - \\alpha/2` quantiles.
        """
        y, known = self._known(realised)
        log_y = np.log(y[known])
        scores = []
        for level in self.levels:
            low = np.log(self.lower[level].to_numpy()[known])
            high = np.log(self.upper[level].to_numpy()[known])
            penalty = 2.0 / (1.0 - level)
            below, above = np.maximum(low - log_y, 0.0), np.maximum(log_y - high, 0.0)
            scores.append(float(np.mean(high - low + penalty * (below + above))))
        return pd.Series(scores, index=self.lower.columns, name="winkler")

    def to_frame(self) -> pd.DataFrame:
        """Long format: one row per day and level with ``date``, ``method``, ``level``, ``forecast`` (raw),
        ``point``, ``skewed``, ``lower``, ``upper``."""
        k = len(self.levels)
        frame = pd.DataFrame(
            {
                "date": np.repeat(self.forecast.index.to_numpy(), k),
                "method": self.method,
                "level": np.tile(np.asarray(self.levels), len(self)),
                "forecast": np.repeat(self.forecast.to_numpy(), k),
                "point": np.repeat(self.point.to_numpy(), k),
                "skewed": np.repeat(self.skewed.to_numpy(), k),
                "lower": self.lower.to_numpy().ravel(),
                "upper": self.upper.to_numpy().ravel(),
            }
        )
        return frame
