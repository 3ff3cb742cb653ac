"""Walk-forward backtests: purged refits per window, out-of-sample forecasts, and their evaluation."""
