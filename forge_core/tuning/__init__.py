"""Hyperparameter tuning with Optuna (no Dagster): search spaces, resumable studies and their figures."""

from forge_core.tuning.figures import study_figures
from forge_core.tuning.spaces import search_space, tunable_families
from forge_core.tuning.study import (
    TuningResult,
    default_params,
    default_storage_url,
    open_storage,
    open_study,
    tune,
)

__all__ = [
    "TuningResult",
    "default_params",
    "default_storage_url",
    "open_storage",
    "open_study",
    "search_space",
    "study_figures",
    "tunable_families",
    "tune",
]
