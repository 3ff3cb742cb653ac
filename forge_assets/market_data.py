"""Market data assets: raw_prices -> daily_features -> targets, partitioned by trading day.

Each asset replaces its partition's rows in one DuckDB transaction (re-materialising is idempotent), runs in
the ``warehouse`` pool (one writer at a time), runs a backfill of any range as a single run, and reports a
blocking data-quality check on what it wrote.
"""

import time

import duckdb
from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)

from forge_assets.checks import quality_check, quality_result
from forge_assets.partitions import partition_dates, trading_days
from forge_core.features.daily import build_daily_features
from forge_core.targets import build_targets, configured_targets
from forge_core.warehouse.partitions import DateWindow, WindowWriter, replace_window_from_frame
from forge_core.warehouse.quality import (
    WindowCheck,
    daily_features_quality,
    raw_prices_quality,
    targets_quality,
)
from forge_core.warehouse.summary import summarise_window
from forge_resources import MarketDataResource, WarehouseResource

GROUP = "market_data"
OWNERS = ["team:quant-research"]
SHARED = {
    "partitions_def": trading_days,
    "backfill_policy": BackfillPolicy.single_run(),
    "pool": "warehouse",
    "group_name": GROUP,
    "owners": OWNERS,
}


def _write_and_check(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    table: str,
    write: WindowWriter,
    check: WindowCheck,
) -> MaterializeResult:
    """Replace the run's partitions of ``table``, check what was written and describe it in metadata."""
    window = partition_dates(context)
    started = time.perf_counter()
    with warehouse.open() as conn:
        written = write(conn, window)
        quality = check(conn, window)
        summary = summarise_window(conn, table, window)
    seconds = time.perf_counter() - started
    context.log.info(f"{table}: {written} rows for [{window.start}, {window.end}) in {seconds:.2f}s")
    if not quality.passed:
        context.log.error(f"{table}: data-quality defects {quality.defects}")
    return MaterializeResult(
        metadata={
            "dagster/row_count": summary.rows,
            "table_rows": summary.table_rows,
            "symbols": MetadataValue.json(summary.symbols),
            "first_date": str(summary.first_date),
            "last_date": str(summary.last_date),
            "window": f"[{window.start}, {window.end})",
            "seconds": round(seconds, 3),
            "warehouse": MetadataValue.path(str(warehouse.file)),
            "preview": MetadataValue.md(summary.preview.to_markdown(index=False, floatfmt=".6g")),
        },
        check_results=[quality_result(table, quality.counts)],
    )


@asset(
    **SHARED,
    kinds={"duckdb", "pandas"},
    description=(
        "Daily OHLCV bars of every symbol from the configured market data source (bundled S&P 500 / NASDAQ / VIX, "
        "a folder of files, or a synthetic market), validated before anything is written."
    ),
    check_specs=[
        quality_check(
            "raw_prices",
            "Bars are finite, prices positive, high >= max(open, close), low <= min(open, close).",
        )
    ],
)
def raw_prices(
    context: AssetExecutionContext, market_data: MarketDataResource, warehouse: WarehouseResource
) -> MaterializeResult:
    window = partition_dates(context)
    bars = market_data.load(window)
    context.log.info(f"raw_prices: {len(bars)} validated bars from source '{market_data.source}'")

    def write(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
        return replace_window_from_frame(conn, "raw_prices", "date", window, bars)

    return _write_and_check(context, warehouse, "raw_prices", write, raw_prices_quality)


@asset(
    **SHARED,
    deps=[raw_prices],
    kinds={"duckdb", "sql"},
    description=(
        "Per symbol and day, computed by sql/features/daily_features.sql with window functions: log, overnight and "
        "intraday returns; Parkinson, Garman-Klass, Rogers-Satchell, Yang-Zhang and squared-return variances with "
        "their 5- and 22-day HAR means (levels and logs); leverage terms; range; volume z-score; VIX level and "
        "change. Each partition reads the 63 bars before it, so it equals a full rebuild."
    ),
    check_specs=[
        quality_check(
            "daily_features", "Finite values, non-negative variances, a row for every expected trading day."
        )
    ],
)
def daily_features(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    return _write_and_check(
        context, warehouse, "daily_features", build_daily_features, daily_features_quality
    )


@asset(
    **SHARED,
    deps=[daily_features],
    kinds={"duckdb", "sql"},
    description=(
        "Forecast targets (default rv_1d, rv_5d, rv_22d): the mean Parkinson variance over days t+1..t+h. "
        "A partition holds the rows realised on its dates (day t+h), so incomplete windows never appear."
    ),
    check_specs=[quality_check("targets", "Target values are finite and non-negative.")],
)
def targets(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    specs = configured_targets()

    def write(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
        return build_targets(conn, window, specs)

    return _write_and_check(context, warehouse, "targets", write, targets_quality)
