"""The market close of a live day: the day's bars ingested, its features and the targets it realises built.

The history path owns market data by calendar year (``raw_prices -> daily_features -> targets``); the live path
needs a day as its unit, and Dagster jobs cannot mix partition definitions, so the daily job starts here. It runs
the very same forge_core builds over the day's window, replacing only that window's rows, so the rows it writes are
those a re-run of the year would write: the two paths never disagree. The three builds are one transaction
(``close_market_window``): a refusal at any step leaves all three tables as they were.

Only sessions of the source's trading calendar are closed: a run without one (a holiday) succeeds and writes
nothing, saying "no trading session on <day>"; a session without bars (late data) fails, naming it and the source's
last day (``forge_assets.sessions``).
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from forge_assets.checks import MARKET_CLOSE_GAPS, MARKET_CLOSE_QUALITY, MARKET_CLOSE_SPLITS
from forge_assets.market_data import IngestionConfig, continuity_results, validated_bars
from forge_assets.partitions import partition_dates
from forge_assets.sessions import holiday, late_sessions, run_sessions
from forge_assets.shared import LIVE_DAY, refuse
from forge_core.data.continuity import continuity
from forge_core.data.ingestion import IngestionRefused
from forge_core.features.quality import daily_features_quality
from forge_core.market_tables import close_market_window
from forge_core.targets import TargetConflict, configured_targets
from forge_core.warehouse.quality import raw_prices_quality, targets_quality
from forge_resources import MarketDataResource, WarehouseResource


@asset(
    **LIVE_DAY,
    kinds={"duckdb", "sql"},
    check_specs=[MARKET_CLOSE_QUALITY.spec(), MARKET_CLOSE_GAPS.spec(), MARKET_CLOSE_SPLITS.spec()],
    description=(
        "The day's bars from the market data source, validated and ingested, its daily features and the targets "
        "it realises: the rows the yearly market-data assets hold for that day, built the same way."
    ),
)
def market_close(
    context: AssetExecutionContext,
    config: IngestionConfig,
    market_data: MarketDataResource,
    warehouse: WarehouseResource,
) -> MaterializeResult:
    window = partition_dates(context)
    sessions = run_sessions(context, market_data)
    if not sessions:
        return holiday(context, market_data)
    checked = validated_bars(context, market_data, window, allow_empty=True)
    late = late_sessions(checked.bars, sessions, market_data)
    if late is not None:
        raise refuse(late)
    bars = checked.bars
    off_calendar = sorted(set(bars["date"].dt.date) - set(sessions))
    if off_calendar:
        context.log.warning(
            f"bars dated {', '.join(map(str, off_calendar))}, which are no sessions of the "
            f"{market_data.trading_calendar().name} calendar, are stored as delivered; their forecasts are skipped "
            "(set market_data.calendar if the source trades on another calendar)"
        )
    specs = configured_targets()
    with warehouse.open() as conn:
        try:
            closed = close_market_window(
                conn, bars, window, specs, splits=checked.splits, allow_shrink=config.allow_shrink
            )
        except (IngestionRefused, TargetConflict) as error:
            raise refuse(error) from None
        found = continuity(conn, window)
        defects = {
            **{f"raw_prices_{k}": v for k, v in raw_prices_quality(conn, window).counts.items()},
            **{f"daily_features_{k}": v for k, v in daily_features_quality(conn, window).counts.items()},
            **{
                f"targets_{k}": v
                for k, v in targets_quality(conn, window, [(s.name, s.horizon) for s in specs]).counts.items()
            },
        }
    ingestion = closed.ingestion
    context.log.info(f"market_close [{window.start}, {window.end}): {ingestion.describe()}")
    return MaterializeResult(
        metadata={
            "dagster/row_count": closed.features,
            "window": f"[{window.start}, {window.end})",
            "bars": len(bars),
            "symbols": int(bars["symbol"].nunique()),
            "last_day": str(bars["date"].max().date()),
            "sessions": len(sessions),
            "calendar": market_data.trading_calendar().name,
            "targets_realised": closed.targets,
            "ingestion": MetadataValue.json(
                {name: getattr(ingestion, name) for name in ("added", "replaced", "removed", "kept")}
            ),
        },
        check_results=[
            MARKET_CLOSE_QUALITY.result(defects),
            *continuity_results(
                context, found, market_data.files_path or None, (MARKET_CLOSE_GAPS, MARKET_CLOSE_SPLITS)
            ),
        ],
    )
