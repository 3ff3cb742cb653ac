"""Software-defined assets, thin over forge_core: market data, model forecasts per family and window, tuning,
regimes, ensembles, intervals, the backtest report and risk backtests, and the live path (live models, feature
importance, the daily close, forecasts, fans, drivers, scores, drift and promotion), with their checks
(``checks``), partitions (``partitions``), pools, the trading sessions of a live run (``sessions``) and what the
asset modules share (``shared``). ``forge_jobs.domains`` gathers the assets per domain; this package exports
nothing."""
