"""VolatilityForge's domain library: market data, features, targets, models, ensembles, intervals, the live
wing and the DuckDB warehouse, in plain Python, pandas, DuckDB and torch; it never imports dagster.

The front door for a notebook is ``forge_core.forecast(symbols)`` (``forge_core.live.front_door``): the live sets'
forecasts with their bands, model, version and alias. It is imported on first use, so ``import forge_core`` pays
for neither MLflow nor torch (nor do ``data``, ``features``, ``warehouse`` or ``settings``; ``models`` loads torch
for the nets it registers). Each package's ``__init__`` exports what it is for.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ForecastResult", "forecast"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("forge_core.live.front_door"), name)
    raise AttributeError(f"module 'forge_core' has no attribute {name!r}")
