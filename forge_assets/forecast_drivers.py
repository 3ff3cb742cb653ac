"""``forecast_drivers``: why each champion forecast of a live day says what it says (SHAP drivers); on request,
what the champion would have said, and why, on backtest days."""

import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from forge_assets.daily_forecasts import daily_forecasts
from forge_assets.sessions import holiday, run_sessions
from forge_assets.shared import LIVE_DAY, refuse
from forge_core.explain.drivers import BACKGROUND_DAYS, unexplained
from forge_core.explain.drivers import forecast_drivers as explain_day
from forge_core.forecasting.panel import load_panel
from forge_core.live.daily_publication import histories_on, history_start
from forge_core.live.published import NoFeatures
from forge_core.live.registry import MissingAlias, load_set
from forge_core.roles import CHAMPION
from forge_core.targets import configured_targets
from forge_core.warehouse.partition_writes import replace_keyed
from forge_resources import ComputeResource, MarketDataResource, MlflowResource, WarehouseResource

SHOWN_ROWS = 12


class DriversConfig(Config):
    """Days to explain beside the run's own."""

    backtest_days: list[str] = Field(
        default_factory=list,
        description=(
            "Past days (YYYY-MM-DD) whose champion forecasts to explain as well, written under that day's as_of: "
            "what today's champion would have said then, and why. A day without features fails the run."
        ),
    )


@asset(
    **LIVE_DAY,
    deps=[daily_forecasts],
    kinds={"python", "duckdb", "shap"},
    description=(
        "The top 3 drivers of every champion forecast of the day: signed SHAP contributions of its features to the "
        "log-variance forecast (HAR, log-HAR and log-space ensembles of them; a champion without a one-row "
        "explanation is named in the metadata), in `forecast_drivers`; re-running a day replaces its rows."
    ),
)
def forecast_drivers(
    context: AssetExecutionContext,
    config: DriversConfig,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
    compute: ComputeResource,
    market_data: MarketDataResource,
) -> MaterializeResult:
    sessions = run_sessions(context, market_data)
    if not sessions and not config.backtest_days:  # a holiday: no champion forecast to explain
        return holiday(context, market_data)
    specs = configured_targets()
    registry, runtime = tracking.config(), compute.runtime()
    try:
        champions = {spec.name: load_set(registry, spec.name, CHAMPION, runtime) for spec in specs}
    except MissingAlias as error:
        raise refuse(error) from None
    skipped = {t: why for t, s in champions.items() if (why := unexplained(s.fitted)) is not None}
    try:
        requested = {dt.date.fromisoformat(day) for day in config.backtest_days}
    except ValueError as error:
        raise refuse(ValueError(f"backtest_days: {error}")) from None
    days = sorted(set(sessions) | requested)
    start = history_start(days[0], BACKGROUND_DAYS + 1)  # the background rows and the day's own
    with warehouse.open(read_only=True) as conn:
        panels = {
            spec.name: load_panel(conn, spec, days[-1] + dt.timedelta(days=1), start=start) for spec in specs
        }
    computed = {}  # every day first: a day that cannot be explained fails the run before anything is written
    for day in days:
        frames = []
        for spec in specs:
            champion = champions[spec.name]
            if spec.name in skipped:
                continue
            try:
                histories = histories_on(panels[spec.name], spec, day)
            except NoFeatures as error:
                if day in requested:
                    raise refuse(error) from None
                continue  # a live day without features publishes nothing: daily_forecasts says so
            known = {s: h for s, h in histories.items() if s in champion.fitted.symbols}
            rows = explain_day(champion.fitted, known)
            frames.append(
                rows.assign(
                    as_of=day, target=spec.name, model=champion.fitted.member, model_version=champion.version
                )
            )
        if frames:
            computed[day] = pd.concat(frames, ignore_index=True)
    written, latest = 0, pd.DataFrame()
    for day, latest in computed.items():
        stamped = latest.assign(created_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
        with warehouse.open() as conn:
            (count,) = replace_keyed(conn, {"as_of": day}, {"forecast_drivers": stamped})
        written += count
        context.log.info(f"forecast_drivers {day}: {count} rows")
    shown = latest.head(SHOWN_ROWS).drop(columns=["as_of"], errors="ignore")
    return MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "not_explained": MetadataValue.json(skipped),
            "latest_drivers": MetadataValue.md(
                shown.round(4).to_markdown(index=False) if not shown.empty else "none"
            ),
        }
    )
