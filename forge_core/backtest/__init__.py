"""Backtest scoring of stored out-of-sample forecasts: the report (``report``) and its figures (``plots``)."""
