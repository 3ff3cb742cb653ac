"""Option and quote data assets, partitioned by calendar year like the bars: ``option_quotes`` and
``quote_summaries`` from the market data source (validated before anything is written; a source without them, such
as the bundled data, writes nothing and says so), and the feature tables built from them in DuckDB SQL:
``option_features`` and ``market_features``. Each reports a blocking quality check on what it wrote."""

from collections.abc import Callable, Mapping

import duckdb
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from forge_assets.checks import (
    MARKET_FEATURES_QUALITY,
    OPTION_FEATURES_QUALITY,
    OPTION_QUOTES_QUALITY,
    QUOTE_SUMMARIES_QUALITY,
    QualityCheck,
)
from forge_assets.market_data import daily_features, raw_prices, write_and_check
from forge_assets.partitions import partition_dates
from forge_assets.shared import MARKET_YEAR, refuse
from forge_core.data.schema import MarketDataError
from forge_core.date_window import DateWindow
from forge_core.features.market_features import build_market_features
from forge_core.options.option_features import build_option_features
from forge_core.options.priced_quotes import write_option_quotes, write_quote_summaries
from forge_core.warehouse.partition_writes import WindowWriter
from forge_core.warehouse.quality import table_quality
from forge_resources import MarketDataResource, WarehouseResource


def _none(market_data: MarketDataResource, what: str, check: QualityCheck) -> MaterializeResult:
    """A source without ``what``: nothing written, and the check passes on the nothing."""
    return MaterializeResult(
        metadata={
            "dagster/row_count": 0,
            "source": f"the '{market_data.source}' source has no {what}: nothing written",
        },
        check_results=[check.result({})],
    )


def _checked(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    write: WindowWriter,
    check: QualityCheck,
    extra: Callable[[], Mapping[str, MetadataValue | str | int]] = dict,
) -> MaterializeResult:
    return write_and_check(context, warehouse, write, table_quality(check.asset), check, extra)


@asset(
    **MARKET_YEAR,
    deps=[raw_prices],
    kinds={"duckdb", "pandas"},
    check_specs=[OPTION_QUOTES_QUALITY.spec()],
    description=(
        "End-of-day option quotes from the market data source (the synthetic market's chains, or a files folder's "
        "options/), validated (crossed and zero-width markets, strikes, expiries, no-arbitrage bounds, duplicates), "
        "each with its implied volatility (or the flag saying why it has none) and greeks, in `option_quotes`."
    ),
)
def option_quotes(
    context: AssetExecutionContext, market_data: MarketDataResource, warehouse: WarehouseResource
) -> MaterializeResult:
    try:
        quotes = market_data.option_quotes(partition_dates(context))
    except MarketDataError as error:
        raise refuse(error) from None
    if quotes is None:
        return _none(market_data, "option quotes", OPTION_QUOTES_QUALITY)
    flags: dict[str, int] = {}

    def write(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
        written = write_option_quotes(conn, quotes, window)
        counted = conn.execute(
            "SELECT iv_flag, count(*) FROM option_quotes WHERE date >= $start AND date < $end GROUP BY 1",
            window.params(),
        ).fetchall()
        flags.update({str(flag): int(n) for flag, n in counted})
        return written

    return _checked(
        context, warehouse, write, OPTION_QUOTES_QUALITY, lambda: {"iv_flags": MetadataValue.json(flags)}
    )


@asset(
    **MARKET_YEAR,
    deps=[raw_prices],
    kinds={"duckdb", "pandas"},
    check_specs=[QUOTE_SUMMARIES_QUALITY.spec()],
    description=(
        "Daily closing quote and trade summaries (bid, ask, sizes, buyer- and seller-initiated volume) from the "
        "market data source, validated, in `quote_summaries`."
    ),
)
def quote_summaries(
    context: AssetExecutionContext, market_data: MarketDataResource, warehouse: WarehouseResource
) -> MaterializeResult:
    try:
        summaries = market_data.quote_summaries(partition_dates(context))
    except MarketDataError as error:
        raise refuse(error) from None
    if summaries is None:
        return _none(market_data, "quote summaries", QUOTE_SUMMARIES_QUALITY)

    def write(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
        return write_quote_summaries(conn, summaries, window)

    return _checked(context, warehouse, write, QUOTE_SUMMARIES_QUALITY)


@asset(
    **MARKET_YEAR,
    deps=[option_quotes, daily_features],
    kinds={"duckdb", "sql"},
    check_specs=[OPTION_FEATURES_QUALITY.spec()],
    description=(
        "Option-implied features per symbol and day (sql/features/option_features.sql): 30-day ATM implied "
        "variance and volatility, term slope, 25-delta risk reversal and butterfly, variance risk premium, quote "
        "counts by moneyness, vega and gamma of the book."
    ),
)
def option_features(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    return _checked(context, warehouse, build_option_features, OPTION_FEATURES_QUALITY)


@asset(
    **MARKET_YEAR,
    deps=[quote_summaries, daily_features],
    kinds={"duckdb", "sql"},
    check_specs=[MARKET_FEATURES_QUALITY.spec()],
    description=(
        "Microstructure and cross-asset features per symbol and day (sql/features/market_features.sql): closing "
        "spread, size-weighted mid, order-flow imbalance, liquidity score, rolling correlation with the market "
        "factor and its breakouts, yesterday's VIX change."
    ),
)
def market_features(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    return _checked(context, warehouse, build_market_features, MARKET_FEATURES_QUALITY)
