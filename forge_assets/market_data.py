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

from forge_assets.checks import DAILY_FEATURES_QUALITY, RAW_PRICES_QUALITY, TARGETS_QUALITY, QualityCheck
from forge_assets.partitions import partition_dates, trading_days
from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features
from forge_core.targets import build_targets, configured_targets
from forge_core.warehouse.partition_writes import WindowWriter, replace_window_from_frame
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
    write: WindowWriter,
    check: WindowCheck,
    declared: QualityCheck,
) -> MaterializeResult:
    """Replace the run's partitions of the table named like the asset, check what was written (``declared``
    reports it) and describe it in metadata."""
    table = declared.asset
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
        check_results=[declared.result(quality.counts)],
    )


@asset(
    **SHARED,
    kinds={"duckdb", "pandas"},
    description=(
        "Daily OHLCV bars of every symbol from the configured market data source (bundled S&P 500 / NASDAQ / VIX, "
        "a folder of files, or a synthetic market), validated before anything is written."
    ),
    check_specs=[RAW_PRICES_QUALITY.spec()],
)
def raw_prices(
    context: AssetExecutionContext, market_data: MarketDataResource, warehouse: WarehouseResource
) -> MaterializeResult:
    window = partition_dates(context)
    bars = market_data.load(window)
    context.log.info(f"raw_prices: {len(bars)} validated bars from source '{market_data.source}'")

    def write(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
        return replace_window_from_frame(conn, "raw_prices", "date", window, bars)

    return _write_and_check(context, warehouse, write, raw_prices_quality, RAW_PRICES_QUALITY)


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
    check_specs=[DAILY_FEATURES_QUALITY.spec()],
)
def daily_features(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    return _write_and_check(
        context,
        warehouse,
        build_daily_features,
        daily_features_quality,
        DAILY_FEATURES_QUALITY,
    )


@asset(
    **SHARED,
    deps=[daily_features],
    kinds={"duckdb", "sql"},
    description=(
        "Forecast targets (default rv_1d, rv_5d, rv_22d): the mean Parkinson variance over days t+1..t+h. "
        "A partition holds the rows realised on its dates (day t+h), so incomplete windows never appear."
    ),
    check_specs=[TARGETS_QUALITY.spec()],
)
def targets(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    specs = configured_targets()

    def write(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
        return build_targets(conn, window, specs)

    return _write_and_check(context, warehouse, write, targets_quality, TARGETS_QUALITY)
