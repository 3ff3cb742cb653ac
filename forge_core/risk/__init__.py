"""Risk: VaR and Expected Shortfall from variance forecasts, their backtests, and volatility targeting."""

from forge_core.risk.value_at_risk import ReturnDistribution, fit_return_distribution
from forge_core.risk.var_backtests import EsBacktest, VarBacktest, es_backtest, var_backtest
from forge_core.risk.vol_targeting import StrategyResult, buy_and_hold, vol_target

__all__ = [
    "EsBacktest",
    "ReturnDistribution",
    "StrategyResult",
    "VarBacktest",
    "buy_and_hold",
    "es_backtest",
    "fit_return_distribution",
    "var_backtest",
    "vol_target",
]
