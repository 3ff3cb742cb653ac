"""Daily forecasts, one partition per weekday: what every live set of every target forecasts at that day's close.

A target whose sets cannot be loaded (a missing or corrupt file, named with its target, model, version and alias)
does not stop the others: every target whose sets load is published, each target's rows in one transaction, and
then the run fails with one line listing the targets it could not publish and why. This is the one deliberate
exception to "a failed run leaves the warehouse as it was": the unpublished targets keep the rows they had, and
the assets after this one do not run. With ``fallback_to_previous_champion`` (run config, default off), a
champion that cannot be loaded is replaced by ``previous_champion`` in the champion role, recorded in
``promotions`` as a ``fallback``.

Sets are loaded from the registry by alias once per run (the daily job never trains); each day is computed for
every target, then written in one transaction. A weekday that is not a session of the source's trading calendar is
a holiday: skipped, listed in the metadata (a run of holidays only succeeds and writes nothing); a session without
features has not been ingested yet and fails, naming it, with nothing written.
"""

import datetime as dt
from collections import defaultdict

import pandas as pd
from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from forge_assets.checks import DAILY_FORECASTS_QUALITY
from forge_assets.market_close import market_close
from forge_assets.market_regimes import live_regimes
from forge_assets.partitions import partition_days
from forge_assets.sessions import holiday, run_sessions
from forge_assets.shared import LIVE_DAY, refuse
from forge_core.forecasting.panel import load_panel
from forge_core.live.daily_publication import (
    Publication,
    histories_on,
    publish_day,
    write_days,
)
from forge_core.live.published import NoFeatures
from forge_core.live.registry import MissingAlias, published_sets
from forge_core.quantiles import bound_column
from forge_core.roles import Role
from forge_core.targets import configured_targets
from forge_core.warehouse.quality import daily_forecasts_quality
from forge_resources import ComputeResource, MarketDataResource, MlflowResource, WarehouseResource

SHOWN_ROWS = 20


class DailyForecastsConfig(Config):
    """What to publish when a champion's set cannot be loaded."""

    fallback_to_previous_champion: bool = Field(
        default=False,
        description=(
            "Publish previous_champion's set in the champion role when the champion's set cannot be loaded, "
            "recorded in `promotions` as a fallback; off: the target is not published and the run fails."
        ),
    )


def unpublished(failed: dict[str, str], published: list[str]) -> Failure:
    """The run's failure: one line naming the targets not published and why, then each error in full."""
    done = ", ".join(published) or "none"
    why = "; ".join(error.splitlines()[0] for error in failed.values())
    return Failure(
        description=f"could not publish {', '.join(failed)} (published: {done}): {why}\n"
        + "\n".join(failed.values()),
        metadata={"published": MetadataValue.json(published), "not_published": MetadataValue.json(failed)},
        allow_retries=False,
    )


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
    config: DailyForecastsConfig,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
    compute: ComputeResource,
    market_data: MarketDataResource,
) -> MaterializeResult:
    sessions = run_sessions(context, market_data)
    if not sessions:  # a holiday: nothing to publish, no set loaded
        return holiday(context, market_data)
    sets, failed = {}, {}
    for spec in configured_targets():
        try:
            sets[spec.name] = published_sets(
                tracking.config(), spec.name, compute.runtime(), config.fallback_to_previous_champion
            )
        except MissingAlias as error:  # a BrokenSet included
            failed[spec.name] = str(error)
    if not sets:
        raise unpublished(failed, [])
    specs = [spec for spec in configured_targets() if spec.name in sets]  # the others fail the run at the end
    days = partition_days(context)
    with warehouse.open(read_only=True) as conn:  # every target's panel read once for all the run's days
        panels = {spec.name: load_panel(conn, spec, days[-1] + dt.timedelta(days=1)) for spec in specs}
    published: dict[dt.date, list[Publication]] = {}
    holidays = [str(day) for day in days if day not in sessions]
    for day in sessions:
        try:
            histories = {spec.name: histories_on(panels[spec.name], spec, day) for spec in specs}
        except NoFeatures as error:
            raise refuse(error) from None
        published[day] = [publish_day(histories[s.name], s, day, sets[s.name]) for s in specs]
    defects: dict[str, int] = {}
    with warehouse.open() as conn:
        written = write_days(conn, published, context.run.run_id)
        for day, publications in published.items():
            defects = {k: defects.get(k, 0) + v for k, v in daily_forecasts_quality(conn, day).items()}
            context.log.info(f"daily_forecasts {day}: {sum(len(p.rows) for p in publications)} forecasts")
    fallbacks = {p.target: p.fallback for ps in published.values() for p in ps if p.fallback is not None}
    for target, fallback in fallbacks.items():
        context.log.warning(
            f"{target}: previous_champion v{fallback.version} published as champion: {fallback.reason}"
        )
    if failed:
        raise unpublished(failed, [spec.name for spec in specs])
    last_day = max(published)
    champion = pd.concat([p.rows for p in published[last_day]], ignore_index=True)
    champion = champion[champion["role"] == Role.CHAMPION]
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
                    p.target: f"{p.rows.loc[p.rows['role'] == Role.CHAMPION, 'model'].iloc[0]}"
                    for p in published[last_day]
                }
            ),
            f"champion_forecasts_{last_day}": MetadataValue.md(
                champion[shown].head(SHOWN_ROWS).to_markdown(index=False, floatfmt=".3e")
            ),
        },
        check_results=[DAILY_FORECASTS_QUALITY.result(defects)],
    )
