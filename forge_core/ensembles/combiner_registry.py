"""Combiners by name. Adding one: a module declaring its class (see ``Combiner``), one line in
``COMBINER_REGISTRY``."""

from __future__ import annotations

from typing import Any

from forge_core.ensembles.combiner import Combiner
from forge_core.ensembles.equal_weights import EqualCombiner, EqualLogCombiner
from forge_core.ensembles.loss_weights import InverseQlikeCombiner, OnlineCombiner
from forge_core.ensembles.mcs_selection import BestRecentCombiner
from forge_core.ensembles.meta_combiner import MetaCombiner
from forge_core.ensembles.regime_weights import MarkovRegimeCombiner, RegimeCombiner
from forge_core.ensembles.stacking import StackingCombiner

COMBINER_REGISTRY: dict[str, type[Combiner[Any]]] = {
    cls.name: cls
    for cls in (
        EqualCombiner,
        EqualLogCombiner,
        InverseQlikeCombiner,
        StackingCombiner,
        OnlineCombiner,
        RegimeCombiner,
        MarkovRegimeCombiner,
        BestRecentCombiner,
        MetaCombiner,
    )
}


def combiner_class(name: str) -> type[Combiner[Any]]:
    """The class registered under ``name``."""
    try:
        return COMBINER_REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown combiner {name!r}; known: {sorted(COMBINER_REGISTRY)}") from None


def create_combiner(name: str, *, device: str = "cpu", **params: Any) -> Combiner[Any]:
    """A combiner ``name`` with hyperparameters ``params``; those that train run on ``device``."""
    return combiner_class(name)(device=device, **params)
