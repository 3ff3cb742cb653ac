"""Materialising model partitions (target x walk-forward window): the routine every model family's asset runs.

A run may hold many partitions (a backfill of windows runs as one run): they are grouped by target, and the windows
of a target are walked in date order, each fit warm-started from the previous one. The warehouse is opened only to
read the panel and to write each window (never while fitting), and every window is its own transaction.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    MaterializeResult,
    MetadataValue,
)
from pydantic import Field

from forge_assets.checks import quality_check, quality_result
from forge_assets.market_data import OWNERS, daily_features, targets
from forge_assets.partitions import model_partitions, walk_forward_windows
from forge_core.backtest.store import load_panel, tuned_params_for, write_window
from forge_core.backtest.walk_forward import TrainingScheme, WindowResult, walk_forward
from forge_core.targets import configured_targets
from forge_core.tracking import code_version, log_fit, register_fit, registered_name, run_url
from forge_core.warehouse.partitions import DateWindow
from forge_core.warehouse.quality import forecasts_quality
from forge_resources import ComputeResource, MlflowResource, WarehouseResource


class WalkForwardConfig(Config):
    """How each window's training rows are chosen (always purged: targets realised before the window)."""

    scheme: Literal["expanding", "rolling"] = Field(
        default="expanding", description="Expanding or rolling window."
    )
    rolling_years: float = Field(default=10.0, description="Length of a rolling window, in years.")
    min_train_rows: int = Field(
        default=250, description="Fewer purged rows than this: the symbol is skipped."
    )

    def training_scheme(self) -> TrainingScheme:
        return TrainingScheme(self.scheme, self.rolling_years, self.min_train_rows)


def forecast_asset_args(
    family: str,
    description: str,
    group: str,
    *,
    kinds: set[str],
    deps: Sequence[AssetDep | AssetsDefinition] = (),
    **extra: Any,
) -> dict[str, Any]:
    """The ``@asset`` arguments every model family's ``<family>_forecasts`` asset shares."""
    name = f"{family}_forecasts"
    return {
        "name": name,
        "partitions_def": model_partitions,
        "backfill_policy": BackfillPolicy.single_run(),
        "deps": [daily_features, targets, *deps],
        "group_name": group,
        "owners": OWNERS,
        "kinds": kinds,
        "description": (
            f"{description} One model per symbol and window, fitted on rows whose target was realised before the "
            "window (purge), forecasting every trading day of the window into the `forecasts` table."
        ),
        "check_specs": [
            quality_check(
                name,
                "Finite, positive, non-crossing forecasts for every trading day of the window; "
                "no training target realised inside the window.",
            )
        ],
        **extra,
    }


def run_windows(context: AssetExecutionContext) -> dict[str, list[DateWindow]]:
    """The run's partitions as target -> windows in date order."""
    windows: dict[str, list[DateWindow]] = defaultdict(list)
    for key in context.partition_keys:
        dims = model_partitions.get_partition_key_from_str(key).keys_by_dimension
        span = walk_forward_windows.time_window_for_partition_key(dims["window"])
        windows[dims["target"]].append(DateWindow(span.start.date(), span.end.date()))
    return {target: sorted(spans, key=lambda w: w.start) for target, spans in sorted(windows.items())}


def track_fits(tracking: MlflowResource, result: WindowResult, target: str, family: str) -> list[str]:
    """Log every symbol's fit of the window as an MLflow run, register it under target x family; run pages."""
    config, version = tracking.config(), code_version()
    pages = []
    for fit in result.fits:
        record = log_fit(
            config,
            model=fit.model,
            target=target,
            symbol=fit.symbol,
            window_start=result.window.start,
            window_end=result.window.end,
            trained_through=fit.trained_through,
            train_rows=fit.train_rows,
            features=fit.model.feature_columns(),
            metrics={"fit_seconds": fit.seconds},
            epoch_history=fit.model.history,
            code_version=version,
        )
        register_fit(config, record, registered_name(target, family))
        pages.append(run_url(config, record))
    return pages


def materialize_forecasts(
    context: AssetExecutionContext,
    family: str,
    config: WalkForwardConfig,
    warehouse: WarehouseResource,
    *,
    compute: ComputeResource | None = None,
    tracking: MlflowResource | None = None,
) -> MaterializeResult:
    """Fit ``family`` on purged history and forecast every day of each of the run's windows; check each window.

    With ``compute`` the models train on its device (the nets); with ``tracking`` every fit is an MLflow run and a
    registered model version. Tuned hyperparameters apply to the windows after their tuning data."""
    specs = {spec.name: spec for spec in configured_targets()}
    scheme = config.training_scheme()
    runtime = compute.runtime(log=context.log.info) if compute else None
    summaries, defects, pages, skipped = [], defaultdict(int), [], {}
    for target, windows in run_windows(context).items():
        spec = specs[target]
        with warehouse.open(read_only=True) as conn:
            panel = load_panel(conn, spec, max(w.end for w in windows))
            tuned = {w.start: tuned_params_for(conn, family, target, w.start) for w in windows}
        used_tuned = sum(params is not None for params in tuned.values())
        context.log.info(
            f"{family} {target}: tuned hyperparameters for {used_tuned} of {len(windows)} windows"
        )
        results = walk_forward(
            panel,
            spec,
            family,
            windows,
            scheme,
            model_params=lambda w, tuned=tuned: tuned[w.start] or {},
            runtime=runtime,
        )
        for result in results:
            with warehouse.open() as conn:
                rows = write_window(conn, result, spec, family, scheme)
                quality = forecasts_quality(conn, target, family, result.window, sorted(result.skipped))
            if tracking:
                pages += track_fits(tracking, result, target, family)
            for name, count in quality.counts.items():
                defects[name] += count
            for fit in result.fits:
                for name, passed in fit.model.validation_checks().items():
                    defects[name] += not passed
            skipped |= {
                f"{target} {result.window.start} {symbol}": why for symbol, why in result.skipped.items()
            }
            fit_seconds = sum(f.seconds for f in result.fits)
            context.log.info(
                f"{family} {target} window {result.window.start}: {rows} forecasts for {len(result.fits)} symbols, "
                f"fitted in {fit_seconds:.2f}s" + (f"; skipped {result.skipped}" if result.skipped else "")
            )
            summaries.append(
                {
                    "target": target,
                    "window": str(result.window.start),
                    "forecasts": rows,
                    "train_rows": max((f.train_rows for f in result.fits), default=0),
                    "trained_through": str(max((f.trained_through for f in result.fits), default="")),
                    "fit_s": round(fit_seconds, 3),
                    "skipped": "; ".join(f"{s}: {why}" for s, why in result.skipped.items()),
                    "tuned": tuned[result.window.start] is not None,
                }
            )
    table = pd.DataFrame(summaries)
    return MaterializeResult(
        metadata={
            "dagster/row_count": int(table["forecasts"].sum()) if len(table) else 0,
            "windows": len(table),
            "scheme": f"{scheme.kind}" + (f" {scheme.rolling_years}y" if scheme.kind == "rolling" else ""),
            "windows_table": MetadataValue.md(table.tail(60).to_markdown(index=False)),
            **(
                {"mlflow_runs": MetadataValue.md("\n".join(f"- {page}" for page in pages[-20:]))}
                if pages
                else {}
            ),
        },
        check_results=[
            quality_result(
                f"{family}_forecasts",
                defects,
                # symbols with too little purged history: listed, not required to have forecasts
                {"skipped_symbols": MetadataValue.json(skipped)},
            )
        ],
    )
