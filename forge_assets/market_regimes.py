"""``market_regimes``: the Markov-switching regimes of every symbol, one partition per walk-forward window; and
``live_regimes``: those of a live day, before its forecasts.

Each window's model is fitted on the days before it and filtered through it (``forge_core.regimes``), so a day's
probabilities use that day and the days before only (causal, as a model feature or an ensemble's regime input
must be). A live day lies in a window that has not completed: it is filtered with the model of its window, fitted
once at the window's start and kept in ``regime_models`` (the window's own partition, once its month completes,
fits the same model on the same days and rewrites the same probabilities).
"""

import datetime as dt
import os

import pandas as pd
from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    BackfillPolicy,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from forge_assets.market_close import market_close
from forge_assets.market_data import daily_features
from forge_assets.metadata import figure, partition_metadata
from forge_assets.partitions import walk_forward_windows
from forge_assets.pools import WAREHOUSE_POOL
from forge_assets.sessions import holiday, run_sessions
from forge_assets.shared import LIVE_DAY, OWNERS, REGIMES_GROUP, refuse
from forge_core.backtest.plots import regime_probabilities
from forge_core.date_window import DateWindow
from forge_core.forecasting.forecast_store import load_features_with_regime
from forge_core.regimes.regime_windows import (
    FIT_DAYS,
    REGIME_COLUMNS,
    WindowRegimes,
    day_regimes,
    models_by_window,
    month_start,
    stored_models,
    window_regimes,
)
from forge_core.settings import reports_dir
from forge_core.warehouse.partition_writes import replace_keyed, replace_partitions
from forge_resources import MarketDataResource, WarehouseResource


class RegimeConfig(Config):
    """The regime model of a run."""

    proxy: str = Field(default="parkinson", description="Variance proxy whose log 5-day mean switches.")
    regimes: int = Field(default=2, description="Number of regimes.")
    fit_days: int = Field(default=FIT_DAYS, description="Days before a window that fit its model.")
    workers: int = Field(
        default=0, ge=0, description="Processes fitting the symbols' models at once; 0 = one per CPU."
    )

    def processes(self) -> int:
        return self.workers or os.cpu_count() or 1


def check_skipped(context: AssetExecutionContext, result: WindowRegimes) -> None:
    """A refusal when no symbol could be given a regime model; else one warning naming every symbol and window
    left without one (their regime is unknown), and why."""
    if not result.skipped:
        return
    listed = "; ".join(f"{where}: {why}" for where, why in sorted(result.skipped.items()))
    if result.probabilities.empty:
        raise refuse(ValueError(f"no symbol could be given a regime model: {listed}"))
    context.log.warning(
        f"no regime model for {len(result.skipped)} symbol windows (regime unknown): {listed}"
    )


@asset(
    partitions_def=walk_forward_windows,
    backfill_policy=BackfillPolicy.single_run(),
    deps=[AssetDep(daily_features, partition_mapping=AllPartitionMapping())],
    group_name=REGIMES_GROUP,
    owners=OWNERS,
    kinds={"python", "duckdb", "statsmodels"},
    pool=WAREHOUSE_POOL,
    description=(
        "Filtered probabilities of a Markov-switching model of each symbol's log variance (Hamilton's switching-mean "
        "AR(1) on the log 5-day proxy mean, regimes ordered calm to turbulent), fitted on the days before each "
        "walk-forward window and filtered through it; `regimes` table."
    ),
)
def market_regimes(
    context: AssetExecutionContext, config: RegimeConfig, warehouse: WarehouseResource
) -> MaterializeResult:
    span = context.partition_time_window
    windows = [
        DateWindow(w.start.date(), w.end.date())
        for w in map(walk_forward_windows.time_window_for_partition_key, context.partition_keys)
    ]
    with warehouse.open(read_only=True) as conn:
        features = load_features_with_regime(conn, [f"log_{config.proxy}_w"], span.end.date())
    try:
        result = window_regimes(
            features, windows, config.proxy, config.regimes, config.fit_days, workers=config.processes()
        )
    except (ValueError, KeyError) as error:
        raise refuse(error) from None
    check_skipped(context, result)
    rows, now = result.probabilities, pd.Timestamp.now(tz="UTC").tz_localize(None)
    with warehouse.open() as conn:
        for key, window in zip(context.partition_keys, windows, strict=True):
            mine = rows[rows["window_start"] == window.start]
            models = result.models[result.models["window_start"] == window.start]
            (count, _) = replace_keyed(
                conn,
                {"window_start": window.start},
                {"regimes": mine.assign(created_at=now), "regime_models": models.assign(created_at=now)},
            )
            context.log.info(f"regimes {window.start}: {count} rows")
            partition_metadata(
                context,
                key,
                count,
                {
                    "window": str(window.start),
                    "rows": count,
                    "symbols": mine["symbol"].nunique(),
                    "models": len(models),
                },
                latest=MetadataValue.md(
                    mine[mine["date"] == mine["date"].max()]
                    .drop(columns="window_start")
                    .round(3)
                    .to_markdown(index=False)
                ),
            )
    first, last = windows[0].start, windows[-1].start
    chart = regime_probabilities(rows, reports_dir() / "regimes" / f"regimes_{first}_{last}.png")
    return MaterializeResult(
        metadata={
            "run_windows": f"{first} .. {last}",
            "run_skipped_symbols": MetadataValue.json(result.skipped),
            "run_figure_regimes": figure(chart),
        }
    )


@asset(
    **LIVE_DAY,
    deps=[market_close],
    kinds={"python", "duckdb", "statsmodels"},
    description=(
        "Filtered regime probabilities of each symbol on the live day, from the model of the day's walk-forward "
        "window (fitted once at the window's start, kept in `regime_models`), in `regimes`: the regime input of the "
        "models and ensembles that use it; re-running a day replaces its rows."
    ),
)
def live_regimes(
    context: AssetExecutionContext,
    config: RegimeConfig,
    warehouse: WarehouseResource,
    market_data: MarketDataResource,
) -> MaterializeResult:
    days = run_sessions(context, market_data)
    if not days:  # a holiday: no close to filter
        return holiday(context, market_data)
    starts = sorted({month_start(d) for d in days})
    with warehouse.open(read_only=True) as conn:
        features = load_features_with_regime(conn, [f"log_{config.proxy}_w"], days[-1] + dt.timedelta(days=1))
        known = stored_models(conn, starts, config.regimes, config.proxy)
    traded = sorted(set(pd.to_datetime(features["date"]).dt.date) & set(days))
    if not traded:
        return MaterializeResult(metadata={"dagster/row_count": 0, "days": "no trading day"})
    try:
        result = day_regimes(
            features,
            traded,
            config.proxy,
            config.regimes,
            config.fit_days,
            known=models_by_window(known),
            workers=config.processes(),
        )
    except (ValueError, KeyError) as error:
        raise refuse(error) from None
    check_skipped(context, result)
    models = pd.concat([known, result.models], ignore_index=True)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    written = 0
    with warehouse.open() as conn:
        for day in traded:
            start = month_start(day)
            rows = result.probabilities[pd.to_datetime(result.probabilities["date"]).dt.date == day]
            (count, _) = replace_partitions(
                conn,
                {
                    "regimes": ({"date": day}, rows.assign(date=day, created_at=now)),
                    "regime_models": (
                        {"window_start": start},
                        models[models["window_start"] == start].assign(created_at=now),
                    ),
                },
            )
            written += count
    context.log.info(f"live_regimes: {written} rows, {len(result.models)} window models fitted")
    latest = result.probabilities[result.probabilities["date"] == result.probabilities["date"].max()]
    return MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "skipped_symbols": MetadataValue.json(result.skipped),
            "models_fitted": len(result.models),
            "latest": MetadataValue.md(latest[REGIME_COLUMNS].round(3).to_markdown(index=False)),
        }
    )
