"""The live wing: the live fit (every member fitted on the rows realised by a day), its versioned fitted sets, the
registry of aliased sets (``registry``), daily publication, what was published (``published``, read without
loading a model), serving and the notebook front door (``front_door``).

The names below load on first use, so that importing ``forge_core.live.published`` (the ``forecast`` command's
fast path) pays for neither torch nor MLflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_core.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from forge_core.live.fitted_set import FittedSet, SymbolState
    from forge_core.live.live_fit import (
        LiveFit,
        LiveSettings,
        NoSymbolQualifies,
        fit_live,
        live_inputs_digest,
    )

_MODULE_OF = {
    "FittedSet": "fitted_set",
    "SymbolState": "fitted_set",
    "LiveFit": "live_fit",
    "LiveSettings": "live_fit",
    "NoSymbolQualifies": "live_fit",
    "fit_live": "live_fit",
    "live_inputs_digest": "live_fit",
}
__all__ = [
    "FittedSet",
    "LiveFit",
    "LiveSettings",
    "NoSymbolQualifies",
    "SymbolState",
    "fit_live",
    "live_inputs_digest",
]


__getattr__ = lazy_exports(__name__, _MODULE_OF)
