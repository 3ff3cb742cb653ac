"""Model families by name. Adding a model: one module declaring its class (see ``VolatilityModel``), one line in
``MODEL_REGISTRY``; its assets, search space and tracking follow from the class. A model name may also be a
family's feature variant (``forge_core.models.variants``): ``log_har_with_options`` is a ``log_har`` with the
params its class declares for the ``options`` set; ``FORGE_MODEL_VARIANTS`` lists the variants the platform
walks forward beside the families."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forge_core.models.base import ForecastTask, Runtime, VolatilityModel
from forge_core.models.ewma import EwmaModel
from forge_core.models.garch import GarchModel, GjrGarchModel
from forge_core.models.har import HarModel
from forge_core.models.log_har import LogHarModel
from forge_core.models.random_walk import RandomWalkModel
from forge_core.models.torch_model import GRUModel, LSTMModel, MLPModel, TCNModel, TransformerModel
from forge_core.models.variants import ModelVariant
from forge_core.settings import MODEL_VARIANTS

MODEL_REGISTRY: dict[str, type[VolatilityModel]] = {
    cls.family: cls
    for cls in (
        RandomWalkModel,
        EwmaModel,
        HarModel,
        LogHarModel,
        GarchModel,
        GjrGarchModel,
        MLPModel,
        LSTMModel,
        GRUModel,
        TCNModel,
        TransformerModel,
    )
}


def families(group: str | None = None) -> tuple[str, ...]:
    """Registered family names in registration order, all of them or those of one ``group``."""
    return tuple(name for name, cls in MODEL_REGISTRY.items() if group is None or cls.group == group)


def model_class(name: str) -> type[VolatilityModel]:
    """The class registered under the family of the model ``name`` (a family or one of its variants)."""
    family = ModelVariant.parse(name).family
    try:
        return MODEL_REGISTRY[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; known: {sorted(MODEL_REGISTRY)}") from None


def variant_params(name: str) -> dict[str, str]:
    """The params that make the family of ``name`` into that variant ({} for a family; ValueError where the
    family cannot take or leave the sets)."""
    variant = ModelVariant.parse(name)
    if not variant.sets:
        return {}
    return model_class(name).feature_params(variant.feature_sets, variant.include)


def create_model(
    name: str, task: ForecastTask, runtime: Runtime | None = None, **params: Any
) -> VolatilityModel:
    """An unfitted model ``name`` (a family or a variant) for ``task`` with hyperparameters ``params`` (on top of
    the variant's own), training on ``runtime``."""
    return model_class(name)(task, runtime, **{**variant_params(name), **params})


def configured_variants() -> tuple[ModelVariant, ...]:
    """The variants in ``FORGE_MODEL_VARIANTS`` (comma-separated model names, e.g.
    ``log_har_with_options,mlp_with_options``); none by default. Each is checked against its family."""
    variants = []
    for name in MODEL_VARIANTS.value():
        try:
            variant = ModelVariant.parse(name)
            if not variant.sets:
                raise ValueError(f"{name} names no feature set (<family>_with_<set>)")
            variant_params(name)
        except ValueError as error:
            raise MODEL_VARIANTS.refuse(MODEL_VARIANTS.text(), str(error)) from None
        variants.append(variant)
    return tuple(variants)


def load_model(path: Path, runtime: Runtime | None = None) -> VolatilityModel:
    """A model written by ``VolatilityModel.save``, of whichever family the file names, on ``runtime``."""
    return model_class(json.loads(Path(path).read_text())["family"]).load(path, runtime)
