"""Daily forecasts, one partition per weekday: what every live set of every target forecasts at that day's close.

Sets are loaded from the registry by alias once per run (the daily job never trains); each day is computed for
every target, then written in one transaction. A weekday without features before the last day with features is a
market holiday and is skipped, listed in the metadata; a day after it has not been ingested yet and fails, naming
it, with nothing written.
"""

import datetime as dt
from collections import defaultdict

import pandas as pd
from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from forge_assets.checks import DAILY_FORECASTS_QUALITY
from forge_assets.live_models import LIVE_DAY
from forge_assets.market_close import market_close
from forge_assets.market_data import refuse
from forge_assets.market_regimes import live_regimes
from forge_assets.partitions import partition_days
from forge_core.forecasting.panel import load_panel
from forge_core.live.daily_publication import (
    CHAMPION_ROLE,
    NoFeatures,
    Publication,
    histories_on,
    last_feature_day,
    publish_day,
    write_day,
)
from forge_core.quantiles import bound_column
from forge_core.targets import configured_targets
from forge_core.tracking.live_registry import MissingAlias, published_sets
from forge_core.warehouse.quality import daily_forecasts_quality
from forge_resources import ComputeResource, MlflowResource, WarehouseResource

SHOWN_ROWS = 20


@asset(
    **LIVE_DAY,
    deps=[market_close, live_regimes, AssetDep("live_models", partition_mapping=AllPartitionMapping())],
    kinds={"python", "duckdb", "mlflow"},
    check_specs=[DAILY_FORECASTS_QUALITY.spec()],
    description=(
        "Forecasts made at the day's close for every symbol and target by the champion, the challenger and the "
        "shadows (loaded from the registry by alias), with quantiles and calibrated intervals, in "
        "`daily_forecasts`; re-running a day replaces its rows."
    ),
)
def daily_forecasts(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
    compute: ComputeResource,
) -> MaterializeResult:
    specs = configured_targets()
    try:
        sets = {spec.name: published_sets(tracking.config(), spec.name, compute.runtime()) for spec in specs}
    except MissingAlias as error:
        raise refuse(error) from None
    days = partition_days(context)
    with warehouse.open(read_only=True) as conn:  # every target's panel read once for all the run's days
        last = last_feature_day(conn)
        panels = {spec.name: load_panel(conn, spec, days[-1] + dt.timedelta(days=1)) for spec in specs}
    published: dict[dt.date, list[Publication]] = {}
    holidays = []
    for day in days:
        try:
            histories = {spec.name: histories_on(panels[spec.name], spec, day) for spec in specs}
        except NoFeatures as error:
            if day < last:
                holidays.append(str(day))
                continue
            raise refuse(error) from None
        published[day] = [publish_day(histories[s.name], s, day, sets[s.name]) for s in specs]
    written, defects = 0, {}
    for day, publications in published.items():
        with warehouse.open() as conn:
            written += write_day(conn, day, publications)
            defects = {k: defects.get(k, 0) + v for k, v in daily_forecasts_quality(conn, day).items()}
        context.log.info(f"daily_forecasts {day}: {sum(len(p.rows) for p in publications)} forecasts")
    if not published:
        raise refuse(
            ValueError(f"no trading day among {days[0]} .. {days[-1]} (market closed): nothing to publish")
        )
    last_day = max(published)
    champion = pd.concat([p.rows for p in published[last_day]], ignore_index=True)
    champion = champion[champion["role"] == CHAMPION_ROLE]
    shown = ["symbol", "target", "model", "forecast", bound_column("lower", 0.9), bound_column("upper", 0.9)]
    skipped = {
        f"{p.target} {s}": why for ps in published.values() for p in ps for s, why in p.skipped.items()
    }
    by_reason = defaultdict(list)
    for key, why in skipped.items():
        by_reason[why].append(key)
    if by_reason:
        listed = "; ".join(f"{', '.join(keys)}: {why}" for why, keys in by_reason.items())
        context.log.warning(f"not forecast: {listed}")
    return MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "days": len(published),
            "holidays_skipped": MetadataValue.json(holidays),
            "symbols_skipped": MetadataValue.json(dict(list(skipped.items())[:SHOWN_ROWS])),
            "champions": MetadataValue.json(
                {
                    p.target: f"{p.rows.loc[p.rows['role'] == CHAMPION_ROLE, 'model'].iloc[0]}"
                    for p in published[last_day]
                }
            ),
            f"champion_forecasts_{last_day}": MetadataValue.md(
                champion[shown].head(SHOWN_ROWS).to_markdown(index=False, floatfmt=".3e")
            ),
        },
        check_results=[DAILY_FORECASTS_QUALITY.result(defects)],
    )
