"""Ensemble partitions (target x walk-forward window): an ``ensemble_<combiner>_forecasts`` asset per registered
combiner (``forge_core.ensembles.COMBINER_REGISTRY``), downstream of every family's forecasts.

A run reads, per target, the stored forecasts of every model up to its last window, walks each symbol once over
all its windows (a day's weights learnt only from member forecasts realised by that day's close), and replaces
each window's rows of ``forecasts`` (model ``ensemble_<combiner>``) and ``ensemble_weights`` in one transaction,
then checks them with the models' blocking forecasts check. Members missing days fail the run before anything is
written, naming them and the days, unless ``use_present_members``."""

from collections import Counter
from collections.abc import Sequence

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from forge_assets.checks import forecasts_quality_check
from forge_assets.metadata import figure, partition_metadata
from forge_assets.partitions import model_partition_key, model_partitions
from forge_assets.pools import WAREHOUSE_POOL
from forge_assets.shared import ENSEMBLES_GROUP, OWNERS, refuse, run_windows
from forge_core.backtest.plots import ensemble_weights
from forge_core.ensembles.combiner_registry import COMBINER_REGISTRY, create_combiner
from forge_core.ensembles.ensemble_store import write_ensemble_window
from forge_core.ensembles.ensemble_windows import (
    CONTEXT_COLUMNS,
    EnsembleWindow,
    MissingMembers,
    combine_windows,
    ensemble_model,
)
from forge_core.forecasting.forecast_store import (
    forecasts_quality,
    load_features_with_regime,
    load_member_history,
)
from forge_core.settings import reports_dir
from forge_core.targets import configured_targets
from forge_resources import ComputeResource, WarehouseResource


class EnsembleConfig(Config):
    """Which members an ensemble combines."""

    members: list[str] = Field(
        default_factory=list,
        description="Model families to combine; empty: every family with forecasts in each window of the run.",
    )
    use_present_members: bool = Field(
        default=False,
        description=(
            "Combine the members that cover every day to forecast and list the others in the metadata. Off: a "
            "member without forecasts on some of those days fails the run, naming it and the days."
        ),
    )


def _ensemble_windows(
    context: AssetExecutionContext,
    name: str,
    config: EnsembleConfig,
    warehouse: WarehouseResource,
    device: str,
) -> list[EnsembleWindow]:
    """Every window of the run, combined per target (nothing written yet)."""
    specs = {spec.name: spec for spec in configured_targets()}
    by_target = run_windows(context)
    with warehouse.open(read_only=True) as conn:  # the context of every target, read once
        features = load_features_with_regime(
            conn, CONTEXT_COLUMNS, max(w.end for ws in by_target.values() for w in ws)
        )
    results = []
    for target, windows in by_target.items():
        with warehouse.open(read_only=True) as conn:
            history = load_member_history(conn, target, max(w.end for w in windows))
        try:
            combined = combine_windows(
                history,
                create_combiner(name, device=device),
                target,
                specs[target].horizon,
                windows,
                config.members,
                use_present=config.use_present_members,
                context=features,
            )
        except MissingMembers as error:
            raise refuse(error) from None
        context.log.info(
            f"{ensemble_model(name)} {target}: {len(windows)} windows combined from {', '.join(combined[0].members)}"
        )
        results.extend(combined)
    return results


def materialize_ensemble(
    context: AssetExecutionContext,
    name: str,
    config: EnsembleConfig,
    warehouse: WarehouseResource,
    compute: ComputeResource,
) -> MaterializeResult:
    """Combine, then write and check each window, giving its partition its metadata; the weights figure of the
    run's last target over the run's windows."""
    model = ensemble_model(name)
    results = _ensemble_windows(context, name, config, warehouse, compute.runtime().device)
    defects: Counter[str] = Counter()
    for result in results:
        with warehouse.open() as conn:
            written = write_ensemble_window(conn, result)
            defects.update(forecasts_quality(conn, result.target, model, result.window).counts)
        context.log.info(f"{model} {result.target} window {result.window.start}: {written} forecasts")
        partition_metadata(
            context,
            model_partition_key(result.target, result.window),
            written,
            {
                "target": result.target,
                "window": str(result.window.start),
                "forecasts": written,
                "members": ", ".join(result.members),
                "equal_weight_rows": result.fallback_rows,
            },
            members_left_out=MetadataValue.json(result.left_out),
            mean_weights=MetadataValue.md(
                result.weights.groupby("member")["weight"].mean().round(3).to_frame().to_markdown()
            ),
        )
    last = results[-1]
    weights = pd.concat([r.weights for r in results if r.target == last.target], ignore_index=True)
    path = ensemble_weights(
        weights,
        f"{model} {last.target}: member weights",
        reports_dir() / "ensembles" / f"{model}_{last.target}.png",
    )
    return MaterializeResult(
        metadata={f"run_figure_{path.stem}": figure(path)},
        check_results=[forecasts_quality_check(model).result(dict(defects))],
    )


def ensemble_asset(name: str, members: Sequence[AssetsDefinition]) -> AssetsDefinition:
    """The ``ensemble_<name>_forecasts`` asset of the combiner registered as ``name``."""
    combiner = COMBINER_REGISTRY[name]
    model = ensemble_model(name)

    @asset(
        name=f"{model}_forecasts",
        partitions_def=model_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        deps=list(members),
        group_name=ENSEMBLES_GROUP,
        owners=OWNERS,
        kinds={"python", "duckdb"},
        pool=WAREHOUSE_POOL,
        description=(
            f"{combiner.description} Combines the members' out-of-sample forecasts of each window day by day, from "
            f"forecasts realised by that day's close only, into `forecasts` (model `{model}`), with the weights "
            "in `ensemble_weights`."
        ),
        check_specs=[forecasts_quality_check(model).spec()],
    )
    def _ensemble(
        context: AssetExecutionContext,
        config: EnsembleConfig,
        warehouse: WarehouseResource,
        compute: ComputeResource,
    ) -> MaterializeResult:
        return materialize_ensemble(context, name, config, warehouse, compute)

    return _ensemble


def ensemble_assets(members: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
    """One asset per registered combiner."""
    return [ensemble_asset(name, members) for name in COMBINER_REGISTRY]
