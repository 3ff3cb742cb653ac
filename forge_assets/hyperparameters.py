"""Hyperparameters per model family and target, tuned with Optuna on walk-forward windows before a cut-off.

A ``<family>_hyperparameters`` partition (one per target) runs a persistent Optuna study (TPE, median pruning;
storage from the tuning resource, so a stopped study resumes and several processes can share it) whose trials
are scored by the out-of-sample QLIKE of purged walk-forward fits on the ``windows`` monthly windows ending at
``tune_before``. The best parameters go to the warehouse with that date: forecasts use them only for windows
starting on or after it.
"""

import dataclasses
import datetime as dt
import hashlib

import pandas as pd
from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from forge_assets.market_data import daily_features, targets
from forge_assets.metadata import figure
from forge_assets.partitions import target_partitions
from forge_assets.pools import pool_op_tags
from forge_assets.shared import OWNERS, TUNING_GROUP, WalkForwardConfig
from forge_core.date_window import DateWindow, monthly_windows
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme
from forge_core.models import VolatilityModel
from forge_core.settings import reports_dir
from forge_core.targets import TargetSpec, configured_targets
from forge_core.tuning import study_figures, tune
from forge_core.tuning.tuned_params import TunedParams, save_tuned_params
from forge_resources import ComputeResource, OptunaResource, WarehouseResource


class TuningConfig(WalkForwardConfig):
    """Which past windows a study scores trials on, how it trains (as the forecasts will), how long it searches."""

    tune_before: str = Field(default="2010-01-01", description="Tuning sees only data before this day.")
    windows: int = Field(default=12, ge=1, description="Monthly windows just before tune_before to score on.")
    n_trials: int = Field(default=20, ge=1, description="Trials to add to the study in this run.")
    timeout_s: float = Field(
        default=0.0, ge=0, description="Stop adding trials after this long (0: no limit)."
    )
    seed: int = Field(default=0, description="Seed of the TPE sampler.")

    @property
    def before(self) -> dt.date:
        return dt.date.fromisoformat(self.tune_before)

    def tuning_windows(self) -> list[DateWindow]:
        """The ``windows`` whole calendar months that end on or before ``tune_before``."""
        first = (pd.Timestamp(self.before) - pd.DateOffset(months=self.windows)).date()
        return [w for w in monthly_windows(first, self.before - dt.timedelta(days=1)) if w.end <= self.before]


def objective_digest(spec: TargetSpec, windows: list[DateWindow], scheme: TrainingScheme) -> str:
    """A short hash of what a study's trials are scored on: a study resumes only for the same objective."""
    what = {"spec": dataclasses.asdict(spec), "windows": [str(w.start) for w in windows], "scheme": scheme}
    return hashlib.sha256(repr(what).encode()).hexdigest()[:8]


def hyperparameters_asset(model: type[VolatilityModel]) -> AssetsDefinition:
    """The ``<family>_hyperparameters`` asset of a tunable model class, partitioned by target, in the class's pool."""
    family = model.family

    @asset(
        name=f"{family}_hyperparameters",
        partitions_def=target_partitions,
        deps=[
            AssetDep(upstream, partition_mapping=AllPartitionMapping())
            for upstream in (daily_features, targets)
        ],
        group_name=TUNING_GROUP,
        owners=OWNERS,
        kinds={"optuna"},
        pool=model.pool,
        op_tags=pool_op_tags(model.pool),
        description=(
            f"Optuna study of {family}'s hyperparameters for one target: TPE sampler, median pruner, trials scored "
            "by out-of-sample QLIKE on purged walk-forward windows before `tune_before`; the best parameters are "
            "stored for the forecasts of later windows. Figures: optimisation history and parameter importances."
        ),
    )
    def _hyperparameters(
        context: AssetExecutionContext,
        config: TuningConfig,
        warehouse: WarehouseResource,
        tuning: OptunaResource,
        compute: ComputeResource,
    ) -> MaterializeResult:
        spec = {s.name: s for s in configured_targets()}[context.partition_key]
        before, windows = config.before, config.tuning_windows()
        with warehouse.open(read_only=True) as conn:
            panel = load_panel(conn, spec, before)
        scheme = config.training_scheme()
        study_name = f"{family}-{spec.name}-before-{before}-{objective_digest(spec, windows, scheme)}"
        result = tune(
            tuning.storage(),
            study_name,
            panel,
            family,
            spec,
            windows,
            scheme,
            before=before,
            n_trials=config.n_trials,
            timeout_s=config.timeout_s or None,
            seed=config.seed,
            runtime=compute.runtime(log=context.log.info),
        )
        tuned = TunedParams(
            family,
            spec.name,
            result.best_params,
            before,
            result.best_value,
            result.n_trials,
            result.study_name,
        )
        with warehouse.open() as conn:
            save_tuned_params(conn, tuned)
        context.log.info(f"{study_name}: best QLIKE {result.best_value:.4f} after {result.n_trials} trials")
        files = study_figures(tuning.storage(), study_name, reports_dir() / "tuning" / family / spec.name)
        return MaterializeResult(
            metadata={
                "best_params": MetadataValue.json(result.best_params),
                "best_qlike": result.best_value,
                "trials": result.n_trials,
                "pruned": result.n_pruned,
                "study": study_name,
                "tuning_windows": f"{windows[0].start} .. {windows[-1].end} ({len(windows)} months)",
                **{f"figure_{p.stem}": figure(p) for p in files if p.suffix == ".png"},
                **{f"html_{p.stem}": MetadataValue.path(str(p)) for p in files if p.suffix == ".html"},
            }
        )

    return _hyperparameters
