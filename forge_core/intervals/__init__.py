"""Conformal prediction intervals for variance forecasts, calibrated on the log scale.

``calibrate(forecast, realised, horizon, method)`` turns one series of variance forecasts into central intervals
at several levels from the forecasts' own realised log scores :math:`s_t = \\log y_t - \\log f_t`, respecting
the h-day delay before a score is known (``feedback``), with the point corrected for the bias the scores support and the
bands coherent by construction (``log_scores``). Methods (``INTERVAL_METHODS``): ``split`` (split conformal on a
trailing window) and ``pid`` (conformal PID control of the spreads, the default). Adaptive conformal inference
(one adaptive level per band) was retired: its levels cross as produced; its coherent form is ``pid`` with
``ki = 0`` and ``prior = 0``.
"""

from forge_core.intervals.calibrated_intervals import Intervals
from forge_core.intervals.calibration import DEFAULT_LEVELS, DEFAULT_MIN_SCORES, calibrate
from forge_core.intervals.conformal_pid import ConformalPid, PidParams
from forge_core.intervals.feedback import OnlineMethod
from forge_core.intervals.interval_methods import INTERVAL_METHODS, method_class
from forge_core.intervals.split_conformal import SplitConformal, SplitParams

__all__ = [
    "DEFAULT_LEVELS",
    "DEFAULT_MIN_SCORES",
    "INTERVAL_METHODS",
    "ConformalPid",
    "Intervals",
    "OnlineMethod",
    "PidParams",
    "SplitConformal",
    "SplitParams",
    "calibrate",
    "method_class",
]
