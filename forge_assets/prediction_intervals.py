"""The ``prediction_intervals`` asset (target x walk-forward window): conformal intervals of every model's and
ensemble's stored forecasts, per method and level, in the ``intervals`` table."""

from collections.abc import Sequence

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    MaterializeResult,
    asset,
)
from pydantic import Field

from forge_assets.checks import INTERVALS_QUALITY
from forge_assets.metadata import partition_metadata
from forge_assets.partitions import model_partition_key, model_partitions
from forge_assets.pools import WAREHOUSE_POOL
from forge_assets.shared import INTERVALS_GROUP, OWNERS, run_windows
from forge_core.date_window import DateWindow
from forge_core.evaluation.run_scores import band_scores
from forge_core.forecasting.forecast_store import load_member_history, load_realised_targets
from forge_core.intervals.calibration import DEFAULT_LEVELS, DEFAULT_MIN_SCORES
from forge_core.intervals.interval_methods import DEFAULT_METHOD, INTERVAL_METHODS
from forge_core.intervals.window_intervals import window_intervals, window_scores, write_window_intervals
from forge_core.targets import configured_targets
from forge_core.tracking.fit_scores import log_window_scores
from forge_core.warehouse.quality import intervals_quality
from forge_resources import MlflowResource, WarehouseResource


class IntervalsConfig(Config):
    """Methods, levels and warm-up of the calibration."""

    methods: list[str] = Field(
        default_factory=lambda: list(INTERVAL_METHODS), description="Calibration methods."
    )
    levels: list[float] = Field(
        default_factory=lambda: list(DEFAULT_LEVELS), description="Central coverages."
    )
    min_scores: int = Field(
        default=DEFAULT_MIN_SCORES,
        description="Realised scores a series needs before its first interval (its earlier days get none).",
    )


def materialize_intervals(
    context: AssetExecutionContext,
    config: IntervalsConfig,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
) -> MaterializeResult:
    """Calibrate per target once over the run's windows, then replace each window's rows and give its partition
    its metadata; then log each fit run of the windows its scores against HAR and its bands (``window_scores``,
    the default method's bands when it was calibrated)."""
    specs = {spec.name: spec for spec in configured_targets()}
    defects: dict[str, int] = {}
    for target, windows in run_windows(context).items():
        with warehouse.open(read_only=True) as conn:
            history = load_member_history(conn, target, max(w.end for w in windows))
        rows = window_intervals(
            history, target, specs[target].horizon, windows, config.methods, config.levels, config.min_scores
        )
        for window in windows:
            with warehouse.open() as conn:
                count = write_window_intervals(conn, target, window, rows)
                found = intervals_quality(conn, target, window.start)
            defects = {k: defects.get(k, 0) + v for k, v in found.items()}
            context.log.info(f"prediction_intervals {target} window {window.start}: {count} intervals")
            partition_metadata(
                context,
                model_partition_key(target, window),
                count,
                {"target": target, "window": str(window.start), "intervals": count},
            )
        if not rows.empty:
            score_fits(context, config, warehouse, tracking, target, windows, history, rows)
    return MaterializeResult(check_results=[INTERVALS_QUALITY.result(defects)])


def score_fits(
    context: AssetExecutionContext,
    config: IntervalsConfig,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
    target: str,
    windows: Sequence[DateWindow],
    history: pd.DataFrame,
    rows: pd.DataFrame,
) -> None:
    """Log the realised coverage of the run's intervals so far, and give every fit run of its windows its scores
    against HAR and its bands (``window_scores``: the default method's, or the first calibrated)."""
    with warehouse.open(read_only=True) as conn:
        realised = load_realised_targets(conn, target, DateWindow(windows[0].start, windows[-1].end))
    coverage = band_scores(rows.merge(realised, on=["symbol", "date"]), ["method"])["coverage"]
    context.log.info(
        f"prediction_intervals {target}: realised coverage so far\n{coverage.unstack('level').round(3)}"
    )
    method = DEFAULT_METHOD if DEFAULT_METHOD in config.methods else config.methods[0]
    scores = window_scores(history, realised, rows, windows, method)
    updated = log_window_scores(tracking.config(), target, scores, {"coverage_method": method})
    context.log.info(
        f"prediction_intervals {target}: window scores ({method} bands) logged on {updated} fit runs"
    )


def intervals_asset(forecasts: Sequence[AssetsDefinition]) -> AssetsDefinition:
    """``prediction_intervals``, downstream of every model's and ensemble's forecasts."""
    return asset(
        name="prediction_intervals",
        partitions_def=model_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        deps=list(forecasts),
        group_name=INTERVALS_GROUP,
        owners=OWNERS,
        kinds={"python", "duckdb", "mlflow"},
        pool=WAREHOUSE_POOL,
        check_specs=[INTERVALS_QUALITY.spec()],
        description=(
            "Conformal prediction intervals (split conformal, conformal PID; levels 50/80/90/95%) of every model's "
            "and ensemble's forecasts, calibrated on the log scale from each series' own scores realised by the "
            "day's close, with the point each method publishes (the forecast corrected for the bias its scores "
            "support), into the `intervals` table. A blocking check holds the bands coherent as produced: nested, "
            "the 50% upper bound strictly below the 95%, the point inside its 50% band unless flagged skewed. Each "
            "model's fit run of a window then logs its MSE ratio to HAR on the same days (`oos_mse_ratio_har`) and "
            "its bands' realised coverage and mean log width (`coverage_<level>`, `log_width_<level>`)."
        ),
    )(materialize_intervals)
