"""What the asset modules share, declared once: the owners, the group names, the arguments common to every asset
of a kind (a market year, a live day), the step's deliberate failure, a walk-forward run's windows per target and
its training scheme's config.

Asset modules import these from here and import each other only for their assets (as ``deps``) and for the
market-data helpers that ``market_close`` and ``option_data`` reuse from ``market_data``."""

from collections import defaultdict
from typing import Any, Final, Literal

from dagster import AssetExecutionContext, BackfillPolicy, Config, Failure
from pydantic import Field

from forge_assets.partitions import live_days, market_years, model_partitions, walk_forward_windows
from forge_assets.pools import WAREHOUSE_POOL
from forge_core.date_window import DateWindow
from forge_core.forecasting.walk_forward import TrainingScheme

OWNERS: Final = ["team:quant-research"]

# The asset groups (the model families' groups are declared by each family: ``VolatilityModel.group``).
MARKET_DATA_GROUP: Final = "market_data"
TUNING_GROUP: Final = "tuning"
REGIMES_GROUP: Final = "regimes"
ENSEMBLES_GROUP: Final = "ensembles"
INTERVALS_GROUP: Final = "intervals"
BACKTEST_GROUP: Final = "backtest"
LIVE_GROUP: Final = "live"

# What every market-data asset shares: a partition per calendar year, a range backfilled in one run, one writer.
MARKET_YEAR: Final[dict[str, Any]] = {
    "partitions_def": market_years,
    "backfill_policy": BackfillPolicy.single_run(),
    "pool": WAREHOUSE_POOL,
    "group_name": MARKET_DATA_GROUP,
    "owners": OWNERS,
}
# What every asset of the daily job shares: a partition per weekday, a range backfilled in one run, one writer.
LIVE_DAY: Final[dict[str, Any]] = {
    "partitions_def": live_days,
    "backfill_policy": BackfillPolicy.single_run(),
    "group_name": LIVE_GROUP,
    "owners": OWNERS,
    "pool": WAREHOUSE_POOL,
}


def refuse(error: Exception) -> Failure:
    """A deliberate failure: the error's text as the step's description, once, with no retry."""
    return Failure(description=str(error), allow_retries=False)


def run_windows(context: AssetExecutionContext) -> dict[str, list[DateWindow]]:
    """The run's target x window partitions as target -> windows in date order."""
    windows: dict[str, list[DateWindow]] = defaultdict(list)
    for key in context.partition_keys:
        dims = model_partitions.get_partition_key_from_str(key).keys_by_dimension
        span = walk_forward_windows.time_window_for_partition_key(dims["window"])
        windows[dims["target"]].append(DateWindow(span.start.date(), span.end.date()))
    return {target: sorted(spans, key=lambda w: w.start) for target, spans in sorted(windows.items())}


class WalkForwardConfig(Config):
    """How each window's training rows are chosen (always purged: targets realised before the window)."""

    scheme: Literal["expanding", "rolling"] = Field(
        default="expanding", description="Expanding or rolling window."
    )
    rolling_years: float = Field(default=10.0, description="Length of a rolling window, in years.")
    min_train_rows: int = Field(
        default=250, description="Fewer purged rows than this: the symbol is skipped."
    )
    recompute: bool = Field(
        default=False,
        description=(
            "Refit every window. Off: a window already stored from identical inputs (same code version, training "
            "rows, parameters and warm starts) is kept, so a re-run of a killed backfill resumes where it died."
        ),
    )

    def training_scheme(self) -> TrainingScheme:
        return TrainingScheme(self.scheme, self.rolling_years, self.min_train_rows)
