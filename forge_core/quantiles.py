"""The quantile levels every forecast carries, declared once for the models, the nets' heads and the tables.

Stored forecasts hold one column per level (``q05`` ... ``q95``); the SQL files name them through the markers
that ``forge_core.warehouse.sql_files`` expands from ``QUANTILE_LEVELS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

QUANTILE_LEVELS: tuple[float, ...] = (0.05, 0.1, 0.5, 0.9, 0.95)


def quantile_label(level: float) -> str:
    """Column name of a quantile level: 0.05 -> ``q05``, 0.5 -> ``q50``, 0.975 -> ``q97.5``."""
    return "q" + f"{100 * level:05.2f}".rstrip("0").rstrip(".")


QUANTILE_COLUMNS: list[str] = [quantile_label(level) for level in QUANTILE_LEVELS]

# Central coverages of the conformal intervals by default, and those the daily forecasts publish.
INTERVAL_LEVELS: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)


def bound_column(side: Literal["lower", "upper"], level: float) -> str:
    """Column of an interval bound: ``lower_90`` for the lower bound of the 90% interval."""
    return f"{side}_{100 * level:g}".replace(".", "_")


BOUND_COLUMNS: list[str] = [
    bound_column(side, level) for level in INTERVAL_LEVELS for side in ("lower", "upper")
]


def checked_levels(levels: Sequence[float]) -> np.ndarray:
    """``levels`` as an array; ValueError unless they are strictly increasing inside (0, 1)."""
    lv = np.asarray(levels, dtype=float)
    if lv.ndim != 1 or lv.size == 0 or np.any(lv <= 0) or np.any(lv >= 1) or np.any(np.diff(lv) <= 0):
        raise ValueError(f"levels must be strictly increasing in (0, 1), got {list(levels)}")
    return lv


def central_bands(levels: Sequence[float] = QUANTILE_LEVELS) -> dict[str, tuple[str, str, float]]:
    """The central prediction intervals the levels hold, narrowest first: ``{"80%": ("q10", "q90", 0.8), ...}``
    for every pair of levels p < 0.5 and 1 - p."""
    pairs = [(p, 1 - p) for p in levels if p < 0.5 and any(abs(q - (1 - p)) < 1e-12 for q in levels)]
    bands = sorted(((round(high - low, 10), low, high) for low, high in pairs))
    return {
        f"{100 * nominal:g}%": (quantile_label(low), quantile_label(high), nominal)
        for nominal, low, high in bands
    }


def covered_column(level: float) -> str:
    """Column saying whether the central interval at ``level`` covered the realisation: ``covered_90``."""
    return f"covered_{100 * level:g}".replace(".", "_")


COVERED_COLUMNS: list[str] = [covered_column(level) for level in INTERVAL_LEVELS]
