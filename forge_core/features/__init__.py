"""Features: the daily features of every symbol and their variance proxies (``daily``), the cross-sectional
market features (``market_features``), the named feature sets models may take (``feature_sets``), and the daily
features' quality rule (``quality``)."""

from forge_core.features.daily import PROXIES, VARIANCE_FLOOR, build_daily_features
from forge_core.features.feature_sets import FeatureSet, feature_set
from forge_core.features.market_features import build_market_features
from forge_core.features.quality import daily_features_quality

__all__ = [
    "PROXIES",
    "VARIANCE_FLOOR",
    "FeatureSet",
    "build_daily_features",
    "build_market_features",
    "daily_features_quality",
    "feature_set",
]
