"""Monitoring of published forecasts: scoring each realised forecast (``scoring``), the champion's degradation
(``degradation``), drift of the features and forecasts with Evidently and a calibrated alarm (``drift``), and the
champion / challenger decision (``promotion``, logged by ``promotion_log``)."""

from forge_core.monitoring.degradation import Degradation, DegradationRule, check_degradation
from forge_core.monitoring.drift import DriftResult, DriftSettings, report_drift
from forge_core.monitoring.promotion import PromotionDecision, PromotionRule, decide_promotion
from forge_core.monitoring.scoring import load_scores, score_day, write_scores

__all__ = [
    "Degradation",
    "DegradationRule",
    "DriftResult",
    "DriftSettings",
    "PromotionDecision",
    "PromotionRule",
    "check_degradation",
    "decide_promotion",
    "load_scores",
    "report_drift",
    "score_day",
    "write_scores",
]
