"""Every registered model family's assets, derived from its class alone (``forge_core.models.registry``).

A family gets ``<family>_forecasts`` (target x walk-forward window) and, when its class declares a search space,
``<family>_hyperparameters`` (per target); the forecasts depend on the hyperparameters of the same family, paired
by name.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from dagster import AssetsDefinition

from forge_assets.hyperparameters import hyperparameters_asset
from forge_assets.model_forecasts import forecast_asset
from forge_core.models import MODEL_REGISTRY, VolatilityModel


@dataclass(frozen=True)
class FamilyAssets:
    """The forecasts and hyperparameter assets of every family, keyed by family name."""

    forecasts: dict[str, AssetsDefinition]
    hyperparameters: dict[str, AssetsDefinition]

    @property
    def all(self) -> list[AssetsDefinition]:
        return [*self.hyperparameters.values(), *self.forecasts.values()]


def family_assets(registry: Mapping[str, type[VolatilityModel]] = MODEL_REGISTRY) -> FamilyAssets:
    """The assets of every family in ``registry``."""
    tuned = {
        name: hyperparameters_asset(cls) for name, cls in registry.items() if cls.search_space is not None
    }
    forecasts = {name: forecast_asset(cls, tuned.get(name)) for name, cls in registry.items()}
    return FamilyAssets(forecasts, tuned)
