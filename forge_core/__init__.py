"""VolatilityForge domain library: market data, features, targets and the DuckDB warehouse.

Plain Python, pandas, DuckDB and torch; it never imports dagster.
"""
