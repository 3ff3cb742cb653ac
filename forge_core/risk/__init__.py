"""Risk: VaR and Expected Shortfall from variance forecasts, and their backtests."""

from forge_core.risk.value_at_risk import ReturnDistribution, fit_return_distribution
from forge_core.risk.var_backtests import EsBacktest, VarBacktest, es_backtest, var_backtest

__all__ = [
    "EsBacktest",
    "ReturnDistribution",
    "VarBacktest",
    "es_backtest",
    "fit_return_distribution",
    "var_backtest",
]
