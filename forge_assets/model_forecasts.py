"""Model partitions (target x walk-forward window): the ``<family>_forecasts`` asset every registered family gets.

A run may hold many partitions (a backfill of windows runs as one run). Its steps, each a function below:
``run_windows`` groups the partitions by target; ``read_inputs`` reads the panel, the tuned parameters and the
windows already stored; ``forge_core.forecasting.walk_forward`` walks the windows in date order, each fit
warm-started from the previous one (a window already stored from identical inputs is kept, so a re-run of a
killed backfill resumes where it died, unless ``recompute``); ``track_fits`` logs every fit to MLflow and
registers it; then ``write_and_check`` replaces the window's rows in one transaction and checks them (a window
whose tracking failed is never written: the run fails and the old partition stays, and the runs and model versions
already made for the window are deleted again, so MLflow holds none for a window that is not stored);
``summarise`` gives each partition its own metadata and builds the check's result. The warehouse is opened only
to read and to write each window, never while fitting.

A symbol with too few purged rows for a window is skipped there (``min_train_rows``) and the others are forecast;
the skipped are named, with the rows they have and need, in one WARNING and in ``short_histories``: each partition's
metadata lists its window's, the check's those of the run.
A window in which every symbol is skipped is neither tracked nor written: the run goes on with its other windows,
then fails with one line naming the shortfalls (``short_histories`` in the failure's metadata).

MLflow calls ride out a restart of the tracking store's database (``forge_core.tracking`` retries them for up to a
minute); a store that stays away fails the step, which Dagster retries ``STORE_RETRIES`` times
``STORE_RETRY_WAIT_S`` apart (windows already written are kept, so a retry resumes), then fails with one line."""

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    MultiToSingleDimensionPartitionMapping,
    RetryRequested,
    asset,
)

from forge_assets.checks import forecasts_quality_check
from forge_assets.market_data import daily_features, targets
from forge_assets.metadata import (
    SHORT_HISTORIES,
    SkippedSymbol,
    nearest,
    no_symbol_qualifies,
    partition_metadata,
    skipped_metadata,
    warn_skipped,
)
from forge_assets.partitions import model_partition_key, model_partitions
from forge_assets.pools import pool_op_tags
from forge_assets.shared import OWNERS, WalkForwardConfig, run_windows
from forge_core.date_window import DateWindow
from forge_core.forecasting.forecast_store import forecasts_quality, stored_windows, write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import (
    ShortHistory,
    StoredWindow,
    TrainingScheme,
    WindowResult,
    walk_forward,
)
from forge_core.models import VolatilityModel, model_class
from forge_core.models.variants import ModelVariant
from forge_core.targets import TargetSpec, configured_targets
from forge_core.tracking import (
    TrackingUnavailable,
    code_version,
    discard_on_failure,
    log_fit,
    register_fit,
    registered_name,
    run_url,
)
from forge_core.tuning.tuned_params import tuned_params_for
from forge_resources import ComputeResource, MlflowResource, WarehouseResource

STORE_RETRIES, STORE_RETRY_WAIT_S = 2, 60  # step retries when the MLflow store stays unreachable


@dataclass(frozen=True)
class WindowInputs:
    """What a target's windows read from the warehouse: the panel and the tuned parameters per window start."""

    panel: pd.DataFrame
    tuned: dict[dt.date, dict[str, Any] | None]
    stored: dict[dt.date, StoredWindow]

    def params_for(self, window: DateWindow) -> Mapping[str, Any]:
        return self.tuned[window.start] or {}


@dataclass
class WindowOutcome:
    """What one written window came to: its rows, its defect counts and its MLflow run pages."""

    result: WindowResult
    rows: int
    defects: dict[str, int]
    pages: list[str] = field(default_factory=list)


def read_inputs(
    warehouse: WarehouseResource, spec: TargetSpec, family: str, windows: Sequence[DateWindow]
) -> WindowInputs:
    """The panel up to the last window's end, per window the latest tuning of the family it may see (None:
    defaults), and the windows already stored (their inputs digests and fitted parameters); ``family`` may be a
    feature variant of a family."""
    with warehouse.open(read_only=True) as conn:
        panel = load_panel(conn, spec, max(w.end for w in windows))
        tuned_family = model_class(family).family  # a variant takes its family's tuning
        tuned = {w.start: tuned_params_for(conn, tuned_family, spec.name, w.start) for w in windows}
        stored = stored_windows(conn, spec.name, family)
    return WindowInputs(panel, tuned, stored)


def write_and_check(
    warehouse: WarehouseResource, result: WindowResult, scheme: TrainingScheme
) -> WindowOutcome:
    """Replace the window's partition (a reused window is kept as stored), count its defects (the forecasts quality
    SQL, plus every fit's own validation checks, e.g. a net beating the random walk)."""
    with warehouse.open(read_only=result.reused) as conn:
        if result.reused:
            (found,) = conn.execute(
                "SELECT count(*) FROM forecasts WHERE target = $t AND model = $m AND window_start = $w",
                {"t": result.target, "m": result.family, "w": result.window.start},
            ).fetchall()
            rows = int(found[0])
        else:
            rows = write_window(conn, result, scheme)
        quality = forecasts_quality(conn, result.target, result.family, result.window, sorted(result.skipped))
    defects = Counter(quality.counts)
    for fit in result.fits:
        defects.update({name: int(not passed) for name, passed in fit.model.validation_checks().items()})
    return WindowOutcome(result, rows, dict(defects))


def track_fits(tracking: MlflowResource, result: WindowResult, panel: pd.DataFrame) -> list[str]:
    """Log every symbol's fit of the window as an MLflow run (with its fit seconds and the window's out-of-sample
    scores where ``panel`` holds the realised targets), register it under target x family; run pages."""
    config, version = tracking.config(), code_version()
    pages = []
    for fit in result.fits:
        record = log_fit(
            config,
            model=fit.model,
            target=result.target,
            symbol=fit.symbol,
            window_start=result.window.start,
            window_end=result.window.end,
            trained_through=fit.trained_through,
            train_rows=fit.train_rows,
            features=fit.model.feature_columns(),
            metrics={"fit_seconds": fit.seconds, **fit.scores(panel)},
            epoch_history=fit.model.history,
            code_version=version,
            model_name=result.family,
        )
        register_fit(config, record, registered_name(result.target, result.family))
        pages.append(run_url(config, record))
    return pages


def describe(outcome: WindowOutcome) -> str:
    """One log line for a written window."""
    result = outcome.result
    if result.reused:
        return (
            f"{result.family} {result.target} window {result.window.start}: kept, already stored from identical "
            f"inputs ({outcome.rows} forecasts; recompute: true refits it)"
        )
    seconds = sum(f.seconds for f in result.fits)
    skipped = (
        "; skipped " + ", ".join(f"{s} ({why})" for s, why in result.skipped.items())
        if result.skipped
        else ""
    )
    return (
        f"{result.family} {result.target} window {result.window.start}: {outcome.rows} forecasts for "
        f"{len(result.fits)} symbols, fitted in {seconds:.2f}s{skipped}"
    )


def skipped_in(results: Sequence[WindowResult]) -> list[SkippedSymbol]:
    """Per symbol and target, what it had in the last of ``results``' windows that skipped it, and in how many."""
    last: dict[tuple[str, str], tuple[DateWindow, ShortHistory]] = {}
    windows: Counter[tuple[str, str]] = Counter()
    for result in sorted(results, key=lambda r: r.window.start):
        for symbol, short in result.skipped.items():
            last[symbol, result.target] = (result.window, short)
            windows[symbol, result.target] += 1
    return [
        SkippedSymbol(symbol, target, short, f"window {window.start}" + _of_many(windows[symbol, target]))
        for (symbol, target), (window, short) in sorted(last.items())
    ]


def _of_many(count: int) -> str:
    return f", the last of {count} that skipped it" if count > 1 else ""


def summarise(
    context: AssetExecutionContext,
    family: str,
    outcomes: Sequence[WindowOutcome],
    inputs: Mapping[str, WindowInputs],
    scheme: TrainingScheme,
    skipped: Sequence[SkippedSymbol],
) -> MaterializeResult:
    """Each partition's metadata (its rows, its row of the windows table, the symbols it skipped, its MLflow pages),
    the scheme, and the blocking check's result over the run's windows."""
    defects: Counter[str] = Counter()
    for outcome in outcomes:
        result = outcome.result
        defects.update(outcome.defects)
        partition_metadata(
            context,
            model_partition_key(result.target, result.window),
            outcome.rows,
            {
                "target": result.target,
                "window": str(result.window.start),
                "forecasts": outcome.rows,
                "symbols": len(result.fits),
                "fit_seconds": round(sum(f.seconds for f in result.fits), 3),
                "skipped": ", ".join(f"{s}: {why}" for s, why in result.skipped.items()),
                "tuned": inputs[result.target].tuned[result.window.start] is not None,
                "kept": result.reused,
                # days a gap left without complete inputs (the windows restart after it), none forecast
                "after_gap": sum(len(days) for days in result.restarting.values()),
                "digest": result.inputs_digest[:12],  # a window refit from changed rows shows a new one
            },
            **{SHORT_HISTORIES: skipped_metadata(skipped_in([result]))},
            **(
                {
                    "mlflow_runs": MetadataValue.md("\n".join(f"- [{p}]({p})" for p in outcome.pages[-20:])),
                    "mlflow_run": MetadataValue.url(outcome.pages[-1]),
                }
                if outcome.pages
                else {}
            ),
        )
    return MaterializeResult(
        metadata={"scheme": scheme.describe()},
        check_results=[
            forecasts_quality_check(family).result(
                dict(defects),
                # symbols with too little purged history: listed, not required to have forecasts
                {SHORT_HISTORIES: skipped_metadata(skipped)},
            )
        ],
    )


def materialize_forecasts(
    context: AssetExecutionContext,
    family: str,
    config: WalkForwardConfig,
    warehouse: WarehouseResource,
    compute: ComputeResource,
    tracking: MlflowResource,
) -> MaterializeResult:
    """Fit ``family`` on purged history and forecast every day of each of the run's windows: the steps above."""
    specs = {spec.name: spec for spec in configured_targets()}
    scheme = config.training_scheme()
    runtime = compute.runtime(log=context.log.info)
    version = code_version()
    inputs: dict[str, WindowInputs] = {}
    outcomes: list[WindowOutcome] = []
    empty: list[WindowResult] = []  # windows in which every symbol was skipped
    for target, windows in run_windows(context).items():
        read = inputs[target] = read_inputs(warehouse, specs[target], family, windows)
        used = sum(params is not None for params in read.tuned.values())
        context.log.info(f"{family} {target}: tuned hyperparameters for {used} of {len(windows)} windows")
        for result in walk_forward(
            read.panel,
            specs[target],
            family,
            windows,
            scheme,
            model_params=read.params_for,
            runtime=runtime,
            stored={} if config.recompute else read.stored,
            code=version,
        ):
            if result.nobody_fitted:
                empty.append(result)
                continue
            try:
                # first the tracking: if it fails, the window is not written; a window not written keeps no
                # MLflow run or registered version
                with discard_on_failure():
                    pages = track_fits(tracking, result, read.panel)
                    outcome = write_and_check(warehouse, result, scheme)
            except TrackingUnavailable as error:
                raise store_unavailable(context, error, result) from None
            outcome.pages = pages
            context.log.info(describe(outcome))
            outcomes.append(outcome)
    skipped = skipped_in([o.result for o in outcomes])
    warn_skipped(context.log, skipped)
    if empty:
        short = skipped_in(empty)
        raise no_symbol_qualifies(
            f"{family}: no symbol has enough history to fit in {len(empty)} of the run's windows (from "
            f"{min(r.window.start for r in empty)}), which were not written: {', '.join(map(str, nearest(short)))}; "
            "backfill later windows, or lower min_train_rows",
            short,
        )
    return summarise(context, family, outcomes, inputs, scheme, skipped)


def store_unavailable(
    context: AssetExecutionContext, error: TrackingUnavailable, result: WindowResult
) -> Exception:
    """A retry of the step while retries are left, then a one-line failure saying what was not written."""
    where = f"{result.family} {result.target} window {result.window.start}"
    if context.retry_number < STORE_RETRIES:
        context.log.warning(
            f"{error}; {where} not written: retrying the step in {STORE_RETRY_WAIT_S}s (windows written are kept)"
        )
        return RetryRequested(max_retries=STORE_RETRIES, seconds_to_wait=STORE_RETRY_WAIT_S)
    return Failure(
        description=(
            f"{error}; {where} and the run's later windows of {result.family} were not written, and MLflow keeps "
            "nothing of them: re-run the same partitions to resume"
        ),
        allow_retries=False,
    )


def forecast_asset(
    model: type[VolatilityModel],
    hyperparameters: AssetsDefinition | None,
    variant: ModelVariant | None = None,
) -> AssetsDefinition:
    """The ``<family>_forecasts`` asset of a model class, downstream of its ``<family>_hyperparameters`` when the
    family is tunable; group, kinds, pool and description come from the class. With a ``variant`` of the
    family: ``<variant>_forecasts``, downstream of the tables of its feature sets too."""
    family = (variant or ModelVariant(model.family)).name
    tuned = (
        [AssetDep(hyperparameters, partition_mapping=MultiToSingleDimensionPartitionMapping("target"))]
        if hyperparameters is not None
        else []
    )
    sets = variant.feature_sets if variant is not None else ()
    tables = {table for s in sets for table in s.tables} - {"daily_features"}
    described = "".join(
        f" {'With' if variant is not None and variant.include else 'Without'} the `{s.name}` features: "
        f"{s.description}"
        for s in sets
    )

    @asset(
        name=f"{family}_forecasts",
        partitions_def=model_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        deps=[daily_features, targets, *sorted(tables), *tuned],
        group_name=model.group,
        owners=OWNERS,
        kinds={*model.kinds, "mlflow", "duckdb"},
        pool=model.pool,
        op_tags=pool_op_tags(model.pool),
        description=(
            f"{model.description}{described} One model per symbol and window, fitted on rows whose target was "
            "realised before the window (purge), forecasting every trading day of the window into the `forecasts` "
            "table; every fit is an MLflow run and a registered version of `<target>-<model>`."
        ),
        check_specs=[forecasts_quality_check(family).spec()],
    )
    def _forecasts(
        context: AssetExecutionContext,
        config: WalkForwardConfig,
        warehouse: WarehouseResource,
        compute: ComputeResource,
        tracking: MlflowResource,
    ) -> MaterializeResult:
        return materialize_forecasts(context, family, config, warehouse, compute, tracking)

    return _forecasts
