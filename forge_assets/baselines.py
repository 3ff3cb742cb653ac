"""One asset per econometric baseline family, partitioned by target x monthly walk-forward window.

Backfilling a range of windows is the walk-forward backtest; it runs as one run per backfill.
"""

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, asset

from forge_assets.forecasting import WalkForwardConfig, forecast_asset_args, materialize_forecasts
from forge_resources import WarehouseResource

BASELINE_FAMILIES: dict[str, str] = {
    "random_walk": "Random walk: the mean of the proxy over the last h days.",
    "ewma": "RiskMetrics EWMA of the proxy (lambda 0.94), flat over the horizon.",
    "har": "HAR (Corsi 2009): OLS of the target on the proxy's 1-, 5- and 22-day means.",
    "log_har": "log-HAR: OLS on logs of the same means, with the log-normal bias correction.",
    "garch": "GARCH(1,1) with Student-t errors on close-to-close returns, rescaled to the proxy's level.",
    "gjr_garch": "GJR-GARCH(1,1,1) with Student-t errors (leverage), rescaled to the proxy's level.",
}
GROUP = "baselines"


def forecast_asset(family: str, description: str) -> AssetsDefinition:
    """The ``<family>_forecasts`` asset of a baseline: purged refits per window, a blocking check."""

    @asset(**forecast_asset_args(family, description, GROUP, kinds={"python", "duckdb"}))
    def _forecasts(
        context: AssetExecutionContext, config: WalkForwardConfig, warehouse: WarehouseResource
    ) -> MaterializeResult:
        return materialize_forecasts(context, family, config, warehouse)

    return _forecasts


baseline_forecasts = [forecast_asset(family, text) for family, text in BASELINE_FAMILIES.items()]
