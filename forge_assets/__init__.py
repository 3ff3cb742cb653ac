"""Software-defined assets: market data, features and targets (thin wrappers around forge_core)."""
