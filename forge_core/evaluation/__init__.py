"""Forecast evaluation as in the volatility literature: robust losses (Patton 2011), Diebold-Mariano tests,
model confidence sets, Mincer-Zarnowitz regressions and the QLIKE noise floor of a variance proxy."""

from forge_core.evaluation.comparison import by_year, compare_forecasts
from forge_core.evaluation.diebold_mariano import DieboldMarianoResult, diebold_mariano
from forge_core.evaluation.losses import (
    IntervalScore,
    interval_coverage,
    interval_width,
    mse,
    pinball,
    qlike,
)
from forge_core.evaluation.mcs import ModelConfidenceSetResult, default_block_size, model_confidence_set
from forge_core.evaluation.mincer_zarnowitz import MincerZarnowitzResult, mincer_zarnowitz
from forge_core.evaluation.noise_floor import (
    NOISE_FLOOR_PROXIES,
    NoiseFloor,
    gaussian_sq_return_floor,
    qlike_noise_floor,
)

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
    "diebold_mariano",
    "gaussian_sq_return_floor",
    "interval_coverage",
    "interval_width",
    "mincer_zarnowitz",
    "model_confidence_set",
    "mse",
    "pinball",
    "qlike",
    "qlike_noise_floor",
]
