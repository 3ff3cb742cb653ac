"""Jobs over the asset graph."""

from dagster import AssetSelection, define_asset_job

from forge_assets.shared import (
    BACKTEST_GROUP as BACKTEST,
)
from forge_assets.shared import (
    ENSEMBLES_GROUP as ENSEMBLES,
)
from forge_assets.shared import (
    INTERVALS_GROUP as INTERVALS,
)
from forge_assets.shared import (
    LIVE_GROUP as LIVE,
)
from forge_assets.shared import (
    MARKET_DATA_GROUP as MARKET_DATA,
)
from forge_assets.shared import (
    REGIMES_GROUP as REGIMES,
)
from forge_assets.shared import (
    TUNING_GROUP as TUNING,
)
from forge_core.models import TorchModel, VolatilityModel

# the model families' groups, as each family declares it (VolatilityModel.group)
BASELINES, DEEP_MODELS = VolatilityModel.group, TorchModel.group

market_data_job = define_asset_job(
    name="market_data_job",
    selection=AssetSelection.groups(MARKET_DATA),
    description="Ingest bars, build daily features and realised targets for a range of years (one run).",
)

baselines_job = define_asset_job(
    name="baselines_job",
    selection=AssetSelection.groups(BASELINES),
    description=(
        "Walk-forward backtest of the econometric baselines: backfill a range of target x window partitions "
        "(one run); each window refits on purged history and forecasts its days out of sample."
    ),
)

deep_models_job = define_asset_job(
    name="deep_models_job",
    selection=AssetSelection.groups(DEEP_MODELS),
    description=(
        "Walk-forward backtest of the torch families (gpu pool): each window trains per symbol on purged history, "
        "tracked in MLflow, with tuned hyperparameters for windows after their tuning cut-off."
    ),
)

tuning_job = define_asset_job(
    name="tuning_job",
    selection=AssetSelection.groups(TUNING),
    description="Optuna studies of every tunable family's hyperparameters, one partition per target.",
)

regimes_job = define_asset_job(
    name="regimes_job",
    selection=AssetSelection.groups(REGIMES),
    description=(
        "Markov-switching regimes of every symbol for a range of walk-forward windows (one run): each window's "
        "model fitted on the days before it, its days' filtered probabilities in `regimes`."
    ),
)

ensembles_job = define_asset_job(
    name="ensembles_job",
    selection=AssetSelection.groups(ENSEMBLES, INTERVALS),
    description=(
        "Every registered combiner over the stored member forecasts of a range of target x window partitions "
        "(one run): weights learnt day by day from forecasts already realised; then the conformal intervals of "
        "every model and ensemble."
    ),
)

backtest_report_job = define_asset_job(
    name="backtest_report_job",
    selection=AssetSelection.groups(BACKTEST),
    description="Score every stored out-of-sample forecast against the realised targets.",
)

RETRAINED = AssetSelection.assets("live_models", "feature_importance")  # the live group's per-target assets

retrain_job = define_asset_job(
    name="retrain_job",
    selection=RETRAINED,
    description=(
        "Fit every family and ensemble of a target on all rows realised by the last close, register each as a "
        "version of volatilityforge-<target> and give it its role (challenger, shadows; champion on the first run); "
        "explain what drives each family."
    ),
)

daily_job = define_asset_job(
    name="daily_job",
    selection=AssetSelection.groups(LIVE) - RETRAINED,
    description=(
        "The day's close: ingest its bars, build its features and realised targets, publish every live set's "
        "forecasts with intervals, score those realised, decide promotions (one partition per weekday)."
    ),
)
