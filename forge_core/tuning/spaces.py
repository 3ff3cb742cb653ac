"""Where a family's hyperparameter search space comes from: its model class (``VolatilityModel.search_space``).

A space maps an Optuna trial to keyword params of ``create_model``; every family's defaults are a point of its
space (see ``default_params``). Families without a space (random_walk, har, log_har, garch, gjr_garch) are not
tunable.
"""

from __future__ import annotations

from forge_core.models.base import SearchSpace
from forge_core.models.registry import MODEL_REGISTRY, model_class


def tunable_families() -> tuple[str, ...]:
    """Registered families that declare a search space, in registration order."""
    return tuple(name for name, cls in MODEL_REGISTRY.items() if cls.search_space is not None)


def search_space(family: str) -> SearchSpace:
    """The search space of ``family``; ValueError for a family without one."""
    space = model_class(family).search_space
    if space is None:
        raise ValueError(
            f"no search space for model family {family!r}; tunable families: {sorted(tunable_families())} "
            "(a family declares one as its class's `search_space`)"
        )
    return space
