"""Software-defined assets, thin over forge_core: market data, model forecasts per family and window, tuning,
regimes, ensembles, intervals, the backtest report and risk backtests, and the live path (live models, feature
importance, the daily close, forecasts, fans, drivers, scores, drift and promotion), with their checks
(``checks``), partitions (``partitions``), pools, the trading sessions of a live run (``sessions``) and what the
asset modules share (``shared``). ``forge_jobs.domains`` gathers the assets per domain; this package exports
nothing."""

import warnings

# Two Dagster features still called "beta" in 1.13 are used on purpose: every market and live asset backfills a
# range in one run (``backfill_policy``), and per-target assets read the target slice of the walk-forward's
# target x window partitions (``MultiToSingleDimensionPartitionMapping``). Their warnings would only repeat once
# per asset at every load of the code location.
for _beta in (r"Parameter `backfill_policy`", r"Class `MultiToSingleDimensionPartitionMapping`"):
    warnings.filterwarnings("ignore", message=_beta + r" .*is currently in beta")
