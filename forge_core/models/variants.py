"""Model names with feature sets: ``<family>_with_<set>[_and_<set>..]`` adds optional feature sets to a family
(``log_har_with_options`` is HAR-X on the implied variance, ``mlp_with_options_and_quotes`` a net with both sets
as extra inputs), ``<family>_without_<set>..`` takes away sets a family reads by default (``mlp_without_vix``).

A variant is stored, tracked and reported under its name like any model, so the backtest report sets each variant
beside the model it differs from (``compared``): the gain a feature set brings, on the same days.
"""

from __future__ import annotations

from dataclasses import dataclass

from forge_core.features.feature_sets import FeatureSet, feature_set

WITH, WITHOUT, AND = "_with_", "_without_", "_and_"


@dataclass(frozen=True)
class ModelVariant:
    """``family`` with (``include``) or without the feature ``sets``; no sets: the family as registered."""

    family: str
    sets: tuple[str, ...] = ()
    include: bool = True

    @classmethod
    def parse(cls, name: str) -> ModelVariant:
        """The variant a model name stands for (ValueError for an unknown feature set)."""
        for marker, include in ((WITHOUT, False), (WITH, True)):
            family, found, rest = name.partition(marker)
            if found:
                if not family or not rest:
                    raise ValueError(f"model name {name!r}: expected <family>{marker}<set>[{AND}<set>..]")
                sets = tuple(rest.split(AND))
                for set_name in sets:
                    feature_set(set_name)
                return cls(family, sets, include)
        return cls(name)

    @property
    def name(self) -> str:
        if not self.sets:
            return self.family
        return f"{self.family}{WITH if self.include else WITHOUT}{AND.join(self.sets)}"

    @property
    def feature_sets(self) -> tuple[FeatureSet, ...]:
        return tuple(feature_set(name) for name in self.sets)

    @property
    def compared(self) -> tuple[str, str] | None:
        """The model without and the model with the sets (the plain family is one of them); None for a plain
        family."""
        if not self.sets:
            return None
        return (self.family, self.name) if self.include else (self.name, self.family)
