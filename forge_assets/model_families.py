"""Every registered model family's assets, derived from its class alone (``forge_core.models.registry``).

A family gets ``<family>_forecasts`` (target x walk-forward window) and, when its class declares a search space,
``<family>_hyperparameters`` (per target); the forecasts depend on the hyperparameters of the same family, paired
by name. Each feature variant in ``FORGE_MODEL_VARIANTS`` (``log_har_with_options``) gets ``<variant>_forecasts``
beside its family, with the family's tuning.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dagster import AssetsDefinition

from forge_assets.hyperparameters import hyperparameters_asset
from forge_assets.model_forecasts import forecast_asset
from forge_core.models import MODEL_REGISTRY, VolatilityModel, configured_variants
from forge_core.models.variants import ModelVariant


@dataclass(frozen=True)
class FamilyAssets:
    """The forecasts and hyperparameter assets of every family, keyed by family name, and the forecasts of the
    feature variants, keyed by model name."""

    forecasts: dict[str, AssetsDefinition]
    hyperparameters: dict[str, AssetsDefinition]
    variants: dict[str, AssetsDefinition] = field(default_factory=dict)


def family_assets(
    registry: Mapping[str, type[VolatilityModel]] = MODEL_REGISTRY,
    variants: Sequence[ModelVariant] | None = None,
) -> FamilyAssets:
    """The assets of every family in ``registry`` and of ``variants`` (default: ``configured_variants()``)."""
    tuned = {
        name: hyperparameters_asset(cls) for name, cls in registry.items() if cls.search_space is not None
    }
    forecasts = {name: forecast_asset(cls, tuned.get(name)) for name, cls in registry.items()}
    chosen = configured_variants() if variants is None else variants
    return FamilyAssets(
        forecasts,
        tuned,
        {
            v.name: forecast_asset(registry[v.family], tuned.get(v.family), v)
            for v in chosen
            if v.family in registry
        },
    )
