"""Software-defined assets, thin over forge_core: market data, model forecasts per family and window, tuning,
regimes, ensembles, intervals, the backtest report and risk backtests, and the live path (live models, the daily
close, forecasts, fans, drivers, scores, drift and promotion), with their checks and partitions."""
