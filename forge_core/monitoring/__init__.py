"""Monitoring of published forecasts: scoring, degradation, drift, and champion / challenger decisions."""
