"""Market data assets: raw_prices -> daily_features -> targets, partitioned by calendar year (``market_years``).

Each asset replaces its partition's rows in one DuckDB transaction (re-materialising is idempotent), runs in
the ``warehouse`` pool (one writer at a time), runs a backfill of any range as a single run, and reports a
blocking data-quality check on what it wrote.
"""

import time
from collections.abc import Callable, Mapping, Sequence

import duckdb
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from forge_assets.checks import (
    DAILY_FEATURES_QUALITY,
    RAW_PRICES_GAPS,
    RAW_PRICES_PLAUSIBILITY,
    RAW_PRICES_QUALITY,
    RAW_PRICES_SPLITS,
    TARGETS_QUALITY,
    QualityCheck,
)
from forge_assets.partitions import partition_dates
from forge_assets.shared import MARKET_YEAR, refuse
from forge_core.data.continuity import Continuity, continuity
from forge_core.data.ingestion import Ingestion, IngestionRefused, ingest_bars
from forge_core.data.schema import DataProblem, MarketDataError
from forge_core.data.splits import split_advice
from forge_core.data.validation import CheckedBars
from forge_core.date_window import DateWindow
from forge_core.features.daily import build_daily_features
from forge_core.features.quality import daily_features_quality
from forge_core.targets import TargetConflict, build_targets, configured_targets
from forge_core.warehouse.partition_writes import WindowWriter
from forge_core.warehouse.quality import (
    QualityReport,
    WindowCheck,
    raw_prices_quality,
    targets_quality,
)
from forge_core.warehouse.summary import summarise_window
from forge_resources import MarketDataResource, WarehouseResource

MAX_LISTED_SYMBOLS = 24  # metadata names symbols up to this many, then only counts them
# A single-run backfill copies the run's metadata into the materialisation event of every partition it covers, so
# a range's metadata is kept small: its preview shows fewer rows than a single day's.
PREVIEW_ROWS = 10
RANGE_PREVIEW_ROWS = 3


def listed_symbols(symbols: list[str]) -> MetadataValue:
    """The symbols of a partition for metadata: all of them when few, else the count and the first few."""
    if len(symbols) <= MAX_LISTED_SYMBOLS:
        return MetadataValue.json(symbols)
    return MetadataValue.text(f"{len(symbols)} symbols: {', '.join(symbols[:MAX_LISTED_SYMBOLS])}, ...")


def write_and_check(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    write: WindowWriter,
    check: WindowCheck,
    declared: QualityCheck,
    extra: Callable[[], Mapping[str, MetadataValue | str | int]] = dict,
    other_checks: Sequence[AssetCheckResult] = (),
) -> MaterializeResult:
    """Replace the run's partitions of the table named like the asset, check what was written (``declared``
    reports it) and describe it in metadata."""
    table = declared.asset
    window = partition_dates(context)
    keys = context.partition_key_range
    preview_rows = PREVIEW_ROWS if keys.start == keys.end else RANGE_PREVIEW_ROWS
    started = time.perf_counter()
    with warehouse.open() as conn:
        written = write(conn, window)
        quality = check(conn, window)
        summary = summarise_window(conn, table, window, preview_rows=preview_rows)
    seconds = time.perf_counter() - started
    context.log.info(f"{table}: {written} rows for [{window.start}, {window.end}) in {seconds:.2f}s")
    if not quality.passed:
        context.log.error(f"{table}: data-quality defects {quality.defects}")
    return MaterializeResult(
        metadata={
            "dagster/row_count": summary.rows,
            "table_rows": summary.table_rows,
            "symbols": listed_symbols(summary.symbols),
            "first_date": str(summary.first_date),
            "last_date": str(summary.last_date),
            "window": f"[{window.start}, {window.end})",
            "seconds": round(seconds, 3),
            "warehouse": MetadataValue.path(str(warehouse.file)),
            "preview": MetadataValue.md(summary.preview.to_markdown(index=False, floatfmt=".6g")),
            **extra(),
        },
        check_results=[declared.result(quality.counts), *other_checks],
    )


def plausibility_result(flagged: Sequence[DataProblem]) -> AssetCheckResult:
    """The raw_prices_plausibility warning: how many implausible bars were stored, and the first of them."""
    listed = "\n".join(f"- {problem.describe()}" for problem in flagged[:MAX_LISTED_SYMBOLS])
    return RAW_PRICES_PLAUSIBILITY.result(
        {"implausible_bars": len(flagged)}, {"flagged": MetadataValue.md(listed or "none")}
    )


def continuity_results(
    context: AssetExecutionContext,
    found: Continuity,
    folder: str | None,
    checks: tuple[QualityCheck, QualityCheck] = (RAW_PRICES_GAPS, RAW_PRICES_SPLITS),
) -> list[AssetCheckResult]:
    """The gaps and splits warnings (``checks``) of stored bars, each case also logged at WARNING."""
    gaps_check, splits_check = checks
    advice = split_advice(folder)
    for gap in found.gaps:
        context.log.warning(f"gap: {gap.describe()}")
    for split in found.splits:
        context.log.warning(f"suspected split: {split.describe()}: {advice}")
    gaps = "\n".join(f"- {gap.describe()}" for gap in found.gaps[:MAX_LISTED_SYMBOLS])
    splits = "\n".join(f"- {split.describe()}" for split in found.splits[:MAX_LISTED_SYMBOLS])
    return [
        gaps_check.result({"gaps": len(found.gaps)}, {"gaps_found": MetadataValue.md(gaps or "none")}),
        splits_check.result(
            {"suspected_splits": len(found.splits)},
            {
                "suspected": MetadataValue.md(splits or "none"),
                "how_to_proceed": MetadataValue.text(advice if found.splits else "nothing to do"),
            },
        ),
    ]


def validated_bars(
    context: AssetExecutionContext,
    market_data: MarketDataResource,
    window: DateWindow,
    allow_empty: bool = False,
) -> CheckedBars:
    """The source's bars of ``window``, validated; a refusal naming the problem, or the source's span when it has
    no bars there unless ``allow_empty`` (the caller says which sessions lack bars; nothing is written either way)."""
    try:
        checked = market_data.load(window)
    except MarketDataError as error:
        raise refuse(error) from None
    if checked.flagged:
        context.log.warning(f"{len(checked.flagged)} implausible bars stored (plausibility mode 'flag')")
    if checked.bars.empty and not allow_empty:
        span = market_data.available_span()
        held = f"it holds {span[0]} .. {span[1]}" if span else "it holds no bars at all"
        raise refuse(
            ValueError(
                f"the '{market_data.source}' source has no bars for {window.start} .. {window.end} (exclusive): "
                f"{held}. Nothing was written; choose partitions inside that range."
            )
        ) from None
    context.log.info(f"{len(checked.bars)} validated bars from source '{market_data.source}'")
    return checked


class IngestionConfig(Config):
    """How a delivery may change what is stored."""

    allow_shrink: bool = Field(
        default=False,
        description=(
            "Replace a symbol's stored bars even where the source now has fewer days over the same range "
            "(the days it lacks are deleted). Off: such a delivery is refused and nothing is written."
        ),
    )


@asset(
    **MARKET_YEAR,
    kinds={"duckdb", "pandas"},
    description=(
        "Daily OHLCV bars of every symbol from the configured market data source (bundled S&P 500 / NASDAQ / VIX, "
        "a folder of files, or a synthetic market), validated before anything is written. A delivery replaces each "
        "symbol's bars over the dates it covers and nothing else; one that would drop stored days is refused."
    ),
    check_specs=[
        RAW_PRICES_QUALITY.spec(),
        RAW_PRICES_PLAUSIBILITY.spec(),
        RAW_PRICES_GAPS.spec(),
        RAW_PRICES_SPLITS.spec(),
    ],
)
def raw_prices(
    context: AssetExecutionContext,
    config: IngestionConfig,
    market_data: MarketDataResource,
    warehouse: WarehouseResource,
) -> MaterializeResult:
    checked = validated_bars(context, market_data, partition_dates(context))
    bars = checked.bars
    done: list[Ingestion] = []
    warnings = [plausibility_result(checked.flagged)]  # the continuity warnings join once the bars are stored

    def write(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
        try:
            done.append(
                ingest_bars(conn, bars, window, splits=checked.splits, allow_shrink=config.allow_shrink)
            )
        except IngestionRefused as error:
            raise refuse(error) from None
        context.log.info(f"raw_prices: {done[0].describe()}")
        warnings.extend(continuity_results(context, continuity(conn, window), market_data.files_path or None))
        found = conn.execute(
            "SELECT count(*) FROM raw_prices WHERE date >= $start AND date < $end", window.params()
        ).fetchall()
        return int(found[0][0])

    def ingestion() -> dict[str, int]:
        return {f"bars_{name}": getattr(done[0], name) for name in ("added", "replaced", "removed", "kept")}

    return write_and_check(
        context,
        warehouse,
        write,
        raw_prices_quality,
        RAW_PRICES_QUALITY,
        ingestion,
        warnings,
    )


@asset(
    **MARKET_YEAR,
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
    return write_and_check(
        context,
        warehouse,
        build_daily_features,
        daily_features_quality,
        DAILY_FEATURES_QUALITY,
    )


class TargetsConfig(Config):
    """What to do when a declared target's name is stored under another definition."""

    replace_changed_definitions: bool = Field(
        default=False,
        description=(
            "Delete every stored row of a target whose horizon or proxy changed under the same name (targets, "
            "forecasts, fits, tunings), then build. Off: such a run is refused and nothing is written."
        ),
    )


@asset(
    **MARKET_YEAR,
    deps=[daily_features],
    kinds={"duckdb", "sql"},
    description=(
        "Forecast targets (default rv_1d, rv_5d, rv_22d): the mean Parkinson variance over days t+1..t+h. "
        "A partition holds the rows realised on its dates (day t+h), so incomplete windows never appear. A target "
        "is its definition: a name stored under another horizon or proxy is refused unless told to replace it."
    ),
    check_specs=[TARGETS_QUALITY.spec()],
)
def targets(
    context: AssetExecutionContext, config: TargetsConfig, warehouse: WarehouseResource
) -> MaterializeResult:
    specs = configured_targets()

    def write(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> int:
        try:
            return build_targets(
                conn, window, specs, replace_changed_definitions=config.replace_changed_definitions
            )
        except TargetConflict as error:
            raise refuse(error) from None

    def check(conn: duckdb.DuckDBPyConnection, window: DateWindow) -> QualityReport:
        return targets_quality(conn, window, [(spec.name, spec.horizon) for spec in specs])

    return write_and_check(context, warehouse, write, check, TARGETS_QUALITY)
