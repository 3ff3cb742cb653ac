"""The live path: every member of a target fitted on all rows realised by a day, as versioned fitted sets."""

from forge_core.live.fitted_set import FittedSet, SymbolState
from forge_core.live.live_fit import LiveFit, LiveSettings, NoSymbolQualifies, fit_live, live_inputs_digest

__all__ = [
    "FittedSet",
    "LiveFit",
    "LiveSettings",
    "NoSymbolQualifies",
    "SymbolState",
    "fit_live",
    "live_inputs_digest",
]
