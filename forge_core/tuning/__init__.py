"""Hyperparameter tuning with Optuna (no Dagster): search spaces, resumable studies and their figures."""

from forge_core.tuning.figures import study_figures
from forge_core.tuning.spaces import SEARCH_SPACES, SearchSpace, register_search_space, search_space
from forge_core.tuning.study import (
    TuningResult,
    default_params,
    default_storage_url,
    open_storage,
    open_study,
    tune,
)

__all__ = [
    "SEARCH_SPACES",
    "SearchSpace",
    "TuningResult",
    "default_params",
    "default_storage_url",
    "open_storage",
    "open_study",
    "register_search_space",
    "search_space",
    "study_figures",
    "tune",
]
