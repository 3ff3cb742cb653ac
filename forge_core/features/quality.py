"""The daily-features quality rule: finite values, non-negative variances, a row for every expected trading day of
every traded symbol (VIX is an input, with no features)."""

from __future__ import annotations

import duckdb

from forge_core.data.schema import VIX_SYMBOLS
from forge_core.date_window import DateWindow
from forge_core.warehouse.quality import QualityReport, counts


def daily_features_quality(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> QualityReport:
    """Features in ``window``: finite, non-negative variances, one row for every expected trading day."""
    params = window.params()
    return QualityReport(
        counts(conn, "checks/daily_features_non_finite.sql", params, prefix="non_finite:")
        | counts(conn, "checks/daily_features_negative_variances.sql", params, prefix="negative:")
        | counts(conn, "checks/daily_features_coverage.sql", {**params, "vix_symbols": sorted(VIX_SYMBOLS)})
    )
