"""``feature_importance``: after every retraining of a target, which inputs drive each live family's forecasts (global
SHAP importance; ``forge_core.explain.global_importance``), with summary and waterfall figures."""

import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from forge_assets.metadata import figure
from forge_assets.partitions import target_partitions
from forge_assets.shared import LIVE_GROUP, OWNERS, refuse
from forge_core.explain.global_importance import EXPLAINED_ROWS, pooled_importance, set_importance
from forge_core.explain.shap_figures import beeswarm, importance_bars, waterfall
from forge_core.forecasting.panel import load_panel
from forge_core.live.daily_publication import histories_on
from forge_core.live.registry import MissingAlias, published_sets
from forge_core.settings import reports_dir
from forge_core.targets import configured_targets
from forge_core.warehouse.partition_writes import replace_keyed
from forge_resources import ComputeResource, MlflowResource, WarehouseResource


class ImportanceConfig(Config):
    """How much each family set is explained."""

    symbols: int = Field(
        default=5, ge=1, description="Symbols explained per set (the first in sorted order)."
    )
    rows: int = Field(
        default=EXPLAINED_ROWS, ge=10, description="Last rows up to the set's as_of explained per symbol."
    )


@asset(
    partitions_def=target_partitions,
    deps=["live_models"],
    group_name=LIVE_GROUP,
    owners=OWNERS,
    kinds={"python", "duckdb", "shap"},
    description=(
        "Global SHAP importance of every live family set of the target (exact permutation values for HAR and "
        "log-HAR, DeepExplainer for the MLP, expected gradients for the sequence nets; recursions and ensembles "
        "are named, not explained): mean |SHAP| per feature in `feature_importance`, with bar, beeswarm and "
        "waterfall figures. Replaced at every retraining."
    ),
)
def feature_importance(
    context: AssetExecutionContext,
    config: ImportanceConfig,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
    compute: ComputeResource,
) -> MaterializeResult:
    spec = next(s for s in configured_targets() if s.name == context.partition_key)
    try:
        sets = published_sets(tracking.config(), spec.name, compute.runtime())
    except MissingAlias as error:
        raise refuse(error) from None
    latest = {}  # per family, its most recent published set
    for published in sorted(sets, key=lambda p: p.fitted.as_of):
        if not published.fitted.is_ensemble:
            latest[published.fitted.member] = published
    as_of = max(p.fitted.as_of for p in latest.values())
    symbols = sorted({s for p in latest.values() for s in p.fitted.symbols})[: config.symbols]
    with warehouse.open(read_only=True) as conn:
        panel = load_panel(conn, spec, as_of + dt.timedelta(days=1), symbols)
    histories = histories_on(panel, spec, as_of, symbols)
    frames, explained, skipped = [], {}, {}
    for family, published in sorted(latest.items()):
        try:
            importances = set_importance(published.fitted, histories, config.rows)
        except ValueError as error:
            skipped[family] = str(error)
            continue
        explained[family] = importances
        pooled = pooled_importance(importances)
        frames.append(
            pooled.rename(columns={"family": "model"}).assign(
                model_version=published.version,
                fitted_as_of=published.fitted.as_of,
                symbols=len(importances),
                rows_explained=sum(len(i.explanation.output) for i in importances),
            )
        )
        context.log.info(
            f"{spec.name} {family}: {pooled['method'].iloc[0]} explained {len(importances)} symbols"
        )
    if not frames:
        raise refuse(ValueError(f"{spec.name}: no live family set can be explained: {skipped}"))
    table = pd.concat(frames, ignore_index=True).assign(
        target=spec.name, created_at=pd.Timestamp.now(tz="UTC").tz_localize(None)
    )
    columns = ["target", "model", "model_version", "fitted_as_of", "method", "feature", "mean_abs", "rank",
               "additivity_gap", "symbols", "rows_explained", "created_at"]  # fmt: skip
    with warehouse.open() as conn:
        (written,) = replace_keyed(conn, {"target": spec.name}, {"feature_importance": table[columns]})
    folder = reports_dir() / "explain" / spec.name
    best = min((latest[f] for f in explained), key=lambda p: p.fitted.recent_qlike)  # shown in the figures
    first = explained[best.fitted.member][0]
    figures = {
        "figure_importance": importance_bars(
            table.rename(columns={"model": "family"}),
            f"{spec.name}: mean |SHAP| per family",
            folder / "importance.png",
        ),
        "figure_beeswarm": beeswarm(
            first, f"{spec.name} {best.fitted.member}: {symbols[0]}", folder / "beeswarm.png"
        ),
        "figure_waterfall": waterfall(
            first,
            f"{spec.name} {best.fitted.member}: {symbols[0]}, last explained day",
            folder / "waterfall.png",
        ),
    }
    top = table[table["rank"] <= 3][["model", "method", "rank", "feature", "mean_abs", "additivity_gap"]]
    return MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "as_of": str(as_of),
            "top_features": MetadataValue.md(top.round(4).to_markdown(index=False)),
            "not_explained": MetadataValue.json(skipped),
            **{name: figure(path) for name, path in figures.items()},
        }
    )
