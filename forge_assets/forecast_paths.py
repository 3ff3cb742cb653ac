"""``forecast_paths``: the fan of the next trading days each live set of the one-day target implies at a day's
close (GARCH families and log-HAR; ``forge_core.paths.set_paths``)."""

import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from forge_assets.daily_forecasts import daily_forecasts
from forge_assets.metadata import figure
from forge_assets.sessions import holiday, run_sessions
from forge_assets.shared import LIVE_DAY, refuse
from forge_core.backtest.plots import path_fans
from forge_core.forecasting.panel import load_panel
from forge_core.live.daily_publication import histories_on
from forge_core.live.published import NoFeatures
from forge_core.live.registry import MissingAlias, published_sets
from forge_core.paths.set_paths import PATH_COUNT, PATH_DAYS, day_fans, why_no_paths
from forge_core.settings import reports_dir
from forge_core.targets import configured_targets
from forge_core.warehouse.partition_writes import replace_keyed
from forge_resources import ComputeResource, MarketDataResource, MlflowResource, WarehouseResource

SHOWN_SYMBOLS = 3


class PathsConfig(Config):
    """How many paths of how many days each set simulates."""

    days: int = Field(default=PATH_DAYS, ge=1, description="Trading days after the close.")
    paths: int = Field(default=PATH_COUNT, ge=100, description="Simulated paths per symbol and model.")


@asset(
    **LIVE_DAY,
    deps=[daily_forecasts],
    kinds={"python", "duckdb"},
    description=(
        "Monte Carlo fans from each day's close for the one-day target's live sets that can simulate (GARCH "
        "families from their saved state, log-HAR by filtered historical simulation): P5..P95 and mean of the "
        "cumulative return and of the daily variance for the next 22 trading days, in `forecast_paths`, and a fan "
        "chart; re-running a day replaces its rows."
    ),
)
def forecast_paths(
    context: AssetExecutionContext,
    config: PathsConfig,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
    compute: ComputeResource,
    market_data: MarketDataResource,
) -> MaterializeResult:
    days = run_sessions(context, market_data)
    if not days:  # a holiday: no close to simulate from
        return holiday(context, market_data)
    spec = next((s for s in configured_targets() if s.horizon == 1), None)
    if spec is None:
        raise Failure("no one-day target is configured (FORGE_TARGETS): paths start from one-day models")
    try:
        sets = published_sets(tracking.config(), spec.name, compute.runtime())
    except MissingAlias as error:
        raise refuse(error) from None
    with warehouse.open(
        read_only=True
    ) as conn:  # whole histories: the log-HAR simulator refits its training rows
        panel = load_panel(conn, spec, days[-1] + dt.timedelta(days=1))
    computed = {}  # every day first: a day that cannot be simulated fails the run before anything is written
    for day in days:
        try:
            histories = histories_on(panel, spec, day)
        except NoFeatures:
            continue  # a day without features publishes nothing: daily_forecasts says so
        try:
            fans = day_fans(sets, histories, day, config.days, config.paths)
        except ValueError as error:
            raise refuse(error) from None
        if not fans.empty:
            computed[day] = fans
    written, latest = 0, pd.DataFrame()
    for day, fans in computed.items():
        stamped = fans.assign(created_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
        with warehouse.open() as conn:
            (count,) = replace_keyed(conn, {"as_of": day}, {"forecast_paths": stamped})
        written, latest = written + count, fans
        context.log.info(f"forecast_paths {day}: {count} rows from {sorted(set(fans['model']))}")
    metadata: dict[str, MetadataValue | int | str] = {
        "dagster/row_count": written,
        "target": spec.name,
        "simulated": MetadataValue.json(
            sorted(
                f"{m} ({r})" for m, r in latest[["model", "role"]].drop_duplicates().itertuples(index=False)
            )
            if not latest.empty
            else []
        ),
        "not_simulated": MetadataValue.json(
            {
                f"{s.fitted.member} ({s.role})": why
                for s in sets
                if (why := why_no_paths(s.fitted)) is not None
            }
        ),
    }
    if latest.empty:
        return MaterializeResult(metadata=metadata | {"simulated": "no set of this target simulated paths"})
    day = latest["as_of"].iloc[0]
    shown = latest[latest["symbol"].isin(sorted(latest["symbol"].unique())[:SHOWN_SYMBOLS])]
    chart = path_fans(
        shown,
        f"Fans from the close of {day} ({config.paths} paths)",
        reports_dir() / "paths" / f"fans_{day}.png",
    )
    last_day = latest[latest["day"] == latest["day"].max()].drop(columns=["as_of", "target", "role"])
    return MaterializeResult(
        metadata=metadata
        | {
            "figure_fans": figure(chart),
            f"day_{config.days}_{day}": MetadataValue.md(
                last_day.head(12).to_markdown(index=False, floatfmt=".3e")
            ),
        }
    )
