"""Named sets of optional panel columns (``load_panel``) that a model family may take on top of its own inputs.

A set names its columns and the tables they come from; ``positive_columns`` are those that are positive and scale
with the variance (the option-implied variance, the VIX level): the only kind HAR-X takes (in logs for the log-HAR).
Which parameters a family turns a set into is the family's own declaration (``VolatilityModel.feature_params``);
a model name says which sets it has (``forge_core.models.variants``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSet:
    """``columns``: panel columns, all of them known at the close of the day they are dated; ``tables``: the
    warehouse tables they are read from."""

    name: str
    columns: tuple[str, ...]
    positive_columns: tuple[str, ...]
    tables: tuple[str, ...]
    description: str


FEATURE_SETS: dict[str, FeatureSet] = {
    s.name: s
    for s in (
        FeatureSet(
            "vix",
            ("vix_level", "vix_change"),
            ("vix_variance",),
            ("daily_features",),
            "VIX close and its log change that day (HAR-X: the daily variance it implies, (VIX/100)^2/252).",
        ),
        FeatureSet(
            "options",
            ("atm_var_30d", "term_slope", "rr25", "bf25", "vrp"),
            ("atm_var_30d",),
            ("option_features",),
            "30-day ATM implied variance, term slope, 25-delta risk reversal and butterfly, variance risk premium.",
        ),
        FeatureSet(
            "quotes",
            ("spread_bps", "microprice_bps", "ofi", "liquidity_score"),
            (),
            ("market_features",),
            "Closing spread, size-weighted mid against the mid, order-flow imbalance, liquidity score.",
        ),
        FeatureSet(
            "cross_asset",
            ("corr_market_63", "vix_change_lag1"),
            (),
            ("market_features",),
            "63-day correlation with the market factor and yesterday's VIX change.",
        ),
    )
}


def feature_set(name: str) -> FeatureSet:
    """The set registered under ``name``."""
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise ValueError(f"unknown feature set {name!r}; known: {sorted(FEATURE_SETS)}") from None
