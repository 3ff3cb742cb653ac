"""Forecast combination: weights over member models' out-of-sample forecasts, learnt only from targets realised
by each day's close (the delay rule, enforced once in ``forge_core.ensembles.visible_history``)."""

from forge_core.ensembles.combination import Combination
from forge_core.ensembles.combiner import Combiner, CombinerParams, HeldWeights, block_starts
from forge_core.ensembles.combiner_registry import COMBINER_REGISTRY, combiner_class, create_combiner
from forge_core.ensembles.equal_weights import EqualCombiner, EqualLogCombiner
from forge_core.ensembles.loss_weights import InverseQlikeCombiner, OnlineCombiner
from forge_core.ensembles.mcs_selection import BestRecentCombiner
from forge_core.ensembles.member_panel import MemberPanel
from forge_core.ensembles.meta_combiner import MetaCombiner
from forge_core.ensembles.regime_weights import RegimeCombiner
from forge_core.ensembles.stacking import StackingCombiner, qlike_stacking_weights
from forge_core.ensembles.visible_history import PanelArrays, VisibleHistory

__all__ = [
    "COMBINER_REGISTRY",
    "BestRecentCombiner",
    "Combination",
    "Combiner",
    "CombinerParams",
    "EqualCombiner",
    "EqualLogCombiner",
    "HeldWeights",
    "InverseQlikeCombiner",
    "MemberPanel",
    "MetaCombiner",
    "OnlineCombiner",
    "PanelArrays",
    "RegimeCombiner",
    "StackingCombiner",
    "VisibleHistory",
    "block_starts",
    "combiner_class",
    "create_combiner",
    "qlike_stacking_weights",
]
