"""Forecast evaluation as in the volatility literature: robust losses (Patton 2011), Diebold-Mariano tests,
model confidence sets, Mincer-Zarnowitz regressions and the QLIKE noise floor of a variance proxy.

The names below load on first use (``forge_core.lazy_exports``): importing ``forge_core.evaluation.losses``, as the
models and the forecast command do, pays for neither SciPy's statistics nor arch. The tests named like their
modules are imported from them (``from forge_core.evaluation.diebold_mariano import diebold_mariano``): once a
module is loaded, the package's attribute of its name is the module."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_core.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from forge_core.evaluation.comparison import by_year, compare_forecasts
    from forge_core.evaluation.diebold_mariano import DieboldMarianoResult
    from forge_core.evaluation.losses import (
        IntervalScore,
        interval_coverage,
        interval_width,
        mse,
        pinball,
        qlike,
    )
    from forge_core.evaluation.mcs import ModelConfidenceSetResult, default_block_size, model_confidence_set
    from forge_core.evaluation.mincer_zarnowitz import MincerZarnowitzResult
    from forge_core.evaluation.noise_floor import (
        NOISE_FLOOR_PROXIES,
        NoiseFloor,
        gaussian_sq_return_floor,
        qlike_noise_floor,
    )

_MODULE_OF = {
    "by_year": "comparison",
    "compare_forecasts": "comparison",
    "DieboldMarianoResult": "diebold_mariano",
    "IntervalScore": "losses",
    "interval_coverage": "losses",
    "interval_width": "losses",
    "mse": "losses",
    "pinball": "losses",
    "qlike": "losses",
    "ModelConfidenceSetResult": "mcs",
    "default_block_size": "mcs",
    "model_confidence_set": "mcs",
    "MincerZarnowitzResult": "mincer_zarnowitz",
    "NOISE_FLOOR_PROXIES": "noise_floor",
    "NoiseFloor": "noise_floor",
    "gaussian_sq_return_floor": "noise_floor",
    "qlike_noise_floor": "noise_floor",
}
__all__ = [
    "NOISE_FLOOR_PROXIES",
    "DieboldMarianoResult",
    "IntervalScore",
    "MincerZarnowitzResult",
    "ModelConfidenceSetResult",
    "NoiseFloor",
    "by_year",
    "compare_forecasts",
    "default_block_size",
    "gaussian_sq_return_floor",
    "interval_coverage",
    "interval_width",
    "model_confidence_set",
    "mse",
    "pinball",
    "qlike",
    "qlike_noise_floor",
]
__getattr__ = lazy_exports(__name__, _MODULE_OF)
