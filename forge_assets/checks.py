"""Asset checks as named constants with an explicit severity: the blocking ``<asset>_quality`` check every writer
asset reports on what it has just written, and warnings that never stop a run."""

from collections.abc import Mapping
from dataclasses import dataclass

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue


@dataclass(frozen=True)
class QualityCheck:
    """A check of one asset: blocking with ERROR severity by default, so assets downstream do not run on data that
    failed it."""

    asset: str
    description: str
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
    blocking: bool = True
    aspect: str = "quality"

    @property
    def name(self) -> str:
        return f"{self.asset}_{self.aspect}"

    def spec(self) -> AssetCheckSpec:
        return AssetCheckSpec(
            self.name, asset=self.asset, blocking=self.blocking, description=self.description
        )

    def result(
        self, defects: Mapping[str, int], extra: Mapping[str, MetadataValue] | None = None
    ) -> AssetCheckResult:
        """Passed when every defect count is zero; the counts (and ``extra``) go to the check's metadata."""
        return AssetCheckResult(
            asset_key=self.asset,
            check_name=self.name,
            passed=not any(defects.values()),
            severity=self.severity,
            metadata={**{name: MetadataValue.int(count) for name, count in defects.items()}, **(extra or {})},
        )


RAW_PRICES_QUALITY = QualityCheck(
    "raw_prices", "Bars are finite, prices positive, high >= max(open, close), low <= min(open, close)."
)
RAW_PRICES_PLAUSIBILITY = QualityCheck(
    "raw_prices",
    "Implausible bars stored because the source's plausibility mode is 'flag' (a daily |log return| or a price "
    "beyond the configured bounds), each with its file, row, symbol, date and value. In mode 'refuse' such bars "
    "fail the load instead, so this check always passes.",
    severity=AssetCheckSeverity.WARN,
    blocking=False,
    aspect="plausibility",
)


def continuity_checks(asset: str) -> tuple[QualityCheck, QualityCheck]:
    """The two warnings on what an asset's stored bars say between days: ``<asset>_gaps`` and ``<asset>_splits``."""
    gaps = QualityCheck(
        asset,
        "Symbols with no bar for more than FORGE_GAP_WEEKDAYS weekdays (default 10): the first return after such a "
        "gap is left out of the features (NULL) and every window restarts there; each gap is listed with its symbol "
        "and days.",
        severity=AssetCheckSeverity.WARN,
        blocking=False,
        aspect="gaps",
    )
    splits = QualityCheck(
        asset,
        "Overnight jumps of prices without adj_close or a recorded split that a common split ratio (2:1, 3:2, 1:10, "
        "...) explains: each is listed with its symbol, day and ratio, and how to proceed (supply adj_close, or list "
        "the split in the folder's splits.csv).",
        severity=AssetCheckSeverity.WARN,
        blocking=False,
        aspect="splits",
    )
    return gaps, splits


RAW_PRICES_GAPS, RAW_PRICES_SPLITS = continuity_checks("raw_prices")
DAILY_FEATURES_QUALITY = QualityCheck(
    "daily_features", "Finite values, non-negative variances, a row for every expected trading day."
)
TARGETS_QUALITY = QualityCheck("targets", "Target values are finite and non-negative.")
MARKET_CLOSE_QUALITY = QualityCheck(
    "market_close",
    "The day's bars, features and realised targets pass the checks of raw_prices, daily_features and targets.",
)
MARKET_CLOSE_GAPS, MARKET_CLOSE_SPLITS = continuity_checks("market_close")
DAILY_FORECASTS_QUALITY = QualityCheck(
    "daily_forecasts",
    "Published forecasts, quantiles and bounds finite and positive, quantiles not crossing, each level's interval "
    "inside the next wider one, the 50% upper bound strictly below the 95%, the point inside its 50% band unless "
    "flagged skewed, every set once per symbol, no model fitted after the day, a champion per target.",
)
INTERVALS_QUALITY = QualityCheck(
    "prediction_intervals",
    "Bounds and points finite and positive; per series and day, levels nested as the method produced them, the "
    "50% upper bound strictly below the 95%, the point inside its 50% band unless flagged skewed.",
)


def forecasts_quality_check(family: str) -> QualityCheck:
    """The check of ``<family>_forecasts``: what the forecasts table's quality SQL counts, and for the nets their
    validation against the random walk."""
    return QualityCheck(
        f"{family}_forecasts",
        "Finite, positive, non-crossing forecasts for every trading day of the window; no training target "
        "realised inside the window; models with a validation set beat the random walk on it.",
    )


OPTION_QUOTES_QUALITY = QualityCheck(
    "option_quotes",
    "Quotes finite, not crossed, not expired; a volatility exactly where the flag is 'ok', positive and finite.",
)
QUOTE_SUMMARIES_QUALITY = QualityCheck(
    "quote_summaries", "Closing quotes finite, positive, not crossed; sizes and volumes non-negative."
)
OPTION_FEATURES_QUALITY = QualityCheck(
    "option_features",
    "ATM implied variance positive and finite; quote counts consistent; book greeks non-negative.",
)
MARKET_FEATURES_QUALITY = QualityCheck(
    "market_features", "Spreads positive; order-flow imbalance and correlations inside [-1, 1]."
)
