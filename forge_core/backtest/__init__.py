"""Backtest scoring of stored out-of-sample forecasts: point scores against HAR on the same days (``report``), the
prediction intervals' coverage, width and interval score (``interval_report``), the gain of a feature set
(``feature_gain``) and the figures (``plots``, imported by itself: it loads matplotlib)."""

from forge_core.backtest.feature_gain import feature_gain, gain_summary
from forge_core.backtest.interval_report import IntervalReport, evaluate_intervals
from forge_core.backtest.report import BacktestReport, evaluate_backtest

__all__ = [
    "BacktestReport",
    "IntervalReport",
    "evaluate_backtest",
    "evaluate_intervals",
    "feature_gain",
    "gain_summary",
]
