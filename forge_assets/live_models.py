"""Live models, one partition per target: every family and ensemble fitted on all rows realised by the last day
with features (or a configured day), registered as versions of ``volatilityforge-<target>`` and given their roles.

Walk-forward partitions are whole past months; a retraining in the middle of a month belongs here. The fit reads
what it needs from the warehouse, closes it, then fits (nothing holds the DuckDB file while training); the
registrations and aliases of a failed retraining are undone, so the registry stays as it was. A symbol without the
purged training rows or realised out-of-sample scores a set needs is skipped, named with what it has and needs in
a WARNING and in ``short_histories``; when no symbol has them, the run fails with one line saying so.
"""

import datetime as dt
from collections.abc import Mapping

import pandas as pd
from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    MultiToSingleDimensionPartitionMapping,
    asset,
)
from pydantic import Field

from forge_assets.market_data import targets
from forge_assets.metadata import (
    SHORT_HISTORIES,
    SkippedSymbol,
    no_symbol_qualifies,
    skipped_metadata,
    warn_skipped,
)
from forge_assets.partitions import target_partitions
from forge_assets.shared import LIVE_GROUP, OWNERS, refuse
from forge_core.ensembles.combiner_registry import COMBINER_REGISTRY
from forge_core.ensembles.ensemble_windows import CONTEXT_COLUMNS, ENSEMBLE_PREFIX
from forge_core.forecasting.forecast_store import load_features_with_regime, load_member_history
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import ShortHistory, TrainingScheme
from forge_core.intervals.interval_methods import DEFAULT_METHOD, INTERVAL_METHODS
from forge_core.live import LiveSettings, NoSymbolQualifies, fit_live, live_inputs_digest
from forge_core.live.published import last_feature_day
from forge_core.live.registry import (
    assign_roles,
    live_model_name,
    register_set,
    retrained_from,
    roles_kept_on_failure,
)
from forge_core.models import MODEL_REGISTRY, model_class, variant_params
from forge_core.roles import CHALLENGER, CHAMPION
from forge_core.targets import configured_targets
from forge_core.tracking import code_version, discard_on_failure
from forge_core.tracking.fits import model_version_url
from forge_core.tuning.tuned_params import tuned_params_for
from forge_resources import ComputeResource, MlflowResource, WarehouseResource


class LiveConfig(Config):
    """What a retraining fits, and on which day's data."""

    families: list[str] = Field(
        default_factory=list,
        description=(
            "Families (or feature variants, e.g. log_har_with_options) to fit; empty: every model with walk-forward "
            "forecasts in the store."
        ),
    )
    combiners: list[str] = Field(
        default_factory=lambda: list(COMBINER_REGISTRY),
        description="Ensembles to fit over the fitted families (registered combiner names).",
    )
    as_of: str = Field(
        default="", description="YYYY-MM-DD: fit on rows realised by this close; empty: last day."
    )
    method: str = Field(
        default=DEFAULT_METHOD,
        description=f"Conformal method of the intervals: {', '.join(INTERVAL_METHODS)}.",
    )
    recent_days: int = Field(
        default=250, description="Scored days of out-of-sample QLIKE that rank the members."
    )
    min_train_rows: int = Field(
        default=250, description="Fewer realised rows than this: the symbol is skipped."
    )
    recompute: bool = Field(
        default=False,
        description="Fit and register even when the live sets were fitted from identical inputs (else: kept).",
    )


def _known_model(name: str) -> bool:
    """Whether ``name`` is a registered family or a feature variant its family can be."""
    try:
        variant_params(name)
    except ValueError:
        return False
    return True


def _refuse_unknown(config: LiveConfig) -> None:
    """A refusal naming any family, combiner or method the config names that does not exist (before any work)."""
    unknown = sorted(f for f in config.families if not _known_model(f)) + sorted(
        set(config.combiners) - set(COMBINER_REGISTRY)
    )
    if unknown or config.method not in INTERVAL_METHODS:
        raise refuse(
            ValueError(
                f"unknown {unknown or config.method!r}: families {sorted(MODEL_REGISTRY)}, combiners "
                f"{sorted(COMBINER_REGISTRY)}, methods {sorted(INTERVAL_METHODS)}"
            )
        )


def _settings(config: LiveConfig, as_of: dt.date, families: list[str]) -> LiveSettings:
    return LiveSettings(
        as_of,
        tuple(families),
        tuple(config.combiners),
        TrainingScheme(min_rows=config.min_train_rows),
        method=config.method,
        recent_days=config.recent_days,
    )


def materialize_live(
    context: AssetExecutionContext,
    config: LiveConfig,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
    compute: ComputeResource,
) -> MaterializeResult:
    spec = next(s for s in configured_targets() if s.name == context.partition_key)
    _refuse_unknown(config)
    with warehouse.open(read_only=True) as conn:
        as_of = dt.date.fromisoformat(config.as_of) if config.as_of else last_feature_day(conn)
        end = as_of + dt.timedelta(days=1)
        panel, history = load_panel(conn, spec, end), load_member_history(conn, spec.name, end)
        features = load_features_with_regime(conn, CONTEXT_COLUMNS, end)
        stored = sorted(m for m in history["model"].unique() if not str(m).startswith(ENSEMBLE_PREFIX))
        families = config.families or stored
        # a feature variant takes its family's tuning, as its walk-forward did
        params = {f: tuned_params_for(conn, model_class(f).family, spec.name, end) for f in families}
    settings = _settings(config, as_of, families)
    model_params = {f: p for f, p in params.items() if p}
    config_tracking = tracking.config()
    digest = live_inputs_digest(
        panel, history, spec, settings, context=features, model_params=model_params, code=code_version()
    )
    kept = None if config.recompute else retrained_from(config_tracking, spec.name, digest)
    if kept is not None:  # a re-run of the same retraining: nothing registered, no alias moved
        context.log.info(
            f"{spec.name}: kept, the live sets were fitted from identical inputs as of {as_of} "
            f"(versions {sorted(set(kept.values()))}; recompute: true refits them)"
        )
        return MaterializeResult(
            metadata={
                "as_of": str(as_of),
                "registered_model": live_model_name(spec.name),
                "kept": MetadataValue.json(kept),
                "dagster/row_count": 0,
            }
        )
    context.log.info(
        f"{spec.name}: fitting {', '.join(families)} and {len(settings.combiners)} ensembles, as of {as_of}"
    )
    try:
        fit = fit_live(
            panel,
            history,
            spec,
            settings,
            context=features,
            runtime=compute.runtime(),
            model_params=model_params,
        )
    except NoSymbolQualifies as error:
        raise no_symbol_qualifies(str(error), skipped_as_of(spec.name, as_of, error.skipped)) from None
    except ValueError as error:
        raise refuse(error) from None
    skipped = skipped_as_of(spec.name, as_of, fit.skipped)
    warn_skipped(context.log, skipped)
    for member, why in fit.left_out.items():
        context.log.warning(f"{spec.name}: {member} left out: {why}")
    with roles_kept_on_failure(config_tracking, spec.name), discard_on_failure():
        registered = []
        for fitted in fit.sets:
            registered.append((fitted, register_set(config_tracking, fitted, code_version(), digest)))
            context.log.info(f"{spec.name}: {fitted.member} registered as version {registered[-1][1]}")
        roles = assign_roles(config_tracking, spec.name, registered)
    table = pd.DataFrame(
        [
            {
                "member": fitted.member,
                "version": f"[{version}]({model_version_url(config_tracking, live_model_name(spec.name), version)})",
                "recent_qlike": round(fitted.recent_qlike, 4),
                "symbols": len(fitted.symbols),
                "aliases": ", ".join(sorted(a for a, n in roles.items() if n == version)),
            }
            for fitted, version in registered
        ]
    )
    name = live_model_name(spec.name)
    return MaterializeResult(
        metadata={
            "as_of": str(as_of),
            "registered_model": name,
            "champion": roles.get(CHAMPION),
            **(
                {
                    "champion_page": MetadataValue.url(
                        model_version_url(config_tracking, name, roles[CHAMPION])
                    )
                }
                if CHAMPION in roles
                else {}
            ),
            "challenger": roles.get(CHALLENGER, "none"),
            "sets": MetadataValue.md(table.to_markdown(index=False)),
            "left_out": MetadataValue.json(fit.left_out),
            SHORT_HISTORIES: skipped_metadata(skipped),
            "dagster/row_count": len(registered),
        }
    )


def skipped_as_of(target: str, as_of: dt.date, skipped: Mapping[str, ShortHistory]) -> list[SkippedSymbol]:
    """The symbols a live fit of ``target`` as of ``as_of`` skipped, with their shortfalls."""
    return [
        SkippedSymbol(symbol, target, short, f"live fit as of {as_of}") for symbol, short in skipped.items()
    ]


def live_models_asset(forecasts: list[AssetsDefinition]) -> AssetsDefinition:
    """The ``live_models`` asset, downstream of the targets and of every family's walk-forward forecasts."""

    @asset(
        name="live_models",
        partitions_def=target_partitions,
        deps=[
            AssetDep(targets, partition_mapping=AllPartitionMapping()),
            *(
                AssetDep(f, partition_mapping=MultiToSingleDimensionPartitionMapping("target"))
                for f in forecasts
            ),
        ],
        group_name=LIVE_GROUP,
        owners=OWNERS,
        kinds={"python", "mlflow"},
        description=(
            "Every family and ensemble of a target fitted on all rows realised by the last day with features, "
            "calibrated on its own out-of-sample scores, registered as a version of `volatilityforge-<target>`: the "
            "best recent out-of-sample QLIKE becomes challenger (champion on the first run), every set a shadow."
        ),
    )
    def live_models(
        context: AssetExecutionContext,
        config: LiveConfig,
        warehouse: WarehouseResource,
        tracking: MlflowResource,
        compute: ComputeResource,
    ) -> MaterializeResult:
        return materialize_live(context, config, warehouse, tracking, compute)

    return live_models
