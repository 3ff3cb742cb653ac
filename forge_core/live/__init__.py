"""The live wing: the live fit (every member fitted on the rows realised by a day), its versioned fitted sets, the
registry of aliased sets (``registry``), daily publication, serving and the notebook front door (``front_door``)."""

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
