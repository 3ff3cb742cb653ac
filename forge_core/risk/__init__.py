"""Risk: backtests of VaR and Expected Shortfall forecasts."""

from forge_core.risk.var_backtests import EsBacktest, VarBacktest, es_backtest, var_backtest

__all__ = ["EsBacktest", "VarBacktest", "es_backtest", "var_backtest"]
