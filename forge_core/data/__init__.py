"""Market data: the canonical OHLCV schema, its validation, and the bundled, file and synthetic sources."""
