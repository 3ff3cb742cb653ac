"""One asset per torch model family, partitioned like the baselines (target x walk-forward window).

Each window trains one net per symbol on purged history, on the compute resource's device (cuda with bf16
autocast when present) in the `gpu` pool, with per-epoch progress in the run log; every fit is an MLflow run and
a registered model version; windows after the family's tuning cut-off use its tuned hyperparameters.
"""

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MultiToSingleDimensionPartitionMapping,
    asset,
)

from forge_assets.forecasting import WalkForwardConfig, forecast_asset_args, materialize_forecasts
from forge_assets.tuning import torch_hyperparameters
from forge_resources import ComputeResource, MlflowResource, WarehouseResource

TORCH_FAMILIES: dict[str, str] = {
    "mlp": "MLP on the HAR-style feature vector, its linear path initialised at the HAR solution (HARNet).",
    "lstm": "LSTM over the last L days of features.",
    "gru": "GRU over the last L days of features.",
    "tcn": "Temporal convolutional net: dilated causal convolutions over the last L days.",
    "transformer": "Transformer encoder (RMSNorm, SwiGLU, grouped-query attention) over the last L days.",
}
GROUP = "deep_models"


def torch_forecast_asset(
    family: str, description: str, hyperparameters: AssetsDefinition
) -> AssetsDefinition:
    """The ``<family>_forecasts`` asset of a torch family, downstream of its tuned hyperparameters."""
    tuned = AssetDep(hyperparameters, partition_mapping=MultiToSingleDimensionPartitionMapping("target"))

    @asset(
        **forecast_asset_args(
            family,
            f"{description} Log-variance and non-crossing quantile heads.",
            GROUP,
            kinds={"pytorch", "mlflow"},
            deps=[tuned],
            pool="gpu",
        )
    )
    def _forecasts(
        context: AssetExecutionContext,
        config: WalkForwardConfig,
        warehouse: WarehouseResource,
        compute: ComputeResource,
        tracking: MlflowResource,
    ) -> MaterializeResult:
        return materialize_forecasts(context, family, config, warehouse, compute=compute, tracking=tracking)

    return _forecasts


torch_forecasts = [
    torch_forecast_asset(family, text, tuned)
    for (family, text), tuned in zip(TORCH_FAMILIES.items(), torch_hyperparameters, strict=True)
]
