"""MLflow tracking of model fits and the model registry (no Dagster): see ``fits`` and ``model_registry``."""

from forge_core.roles import CHALLENGER, CHAMPION
from forge_core.settings import code_version
from forge_core.tracking.config import TrackingConfig, default_tracking_config
from forge_core.tracking.fits import FitRecord, experiment_name, log_fit, run_url, tracking_client
from forge_core.tracking.model_registry import (
    load_registered,
    register_fit,
    registered_name,
    set_alias,
)
from forge_core.tracking.store_retry import TrackingUnavailable, discard_on_failure

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "FitRecord",
    "TrackingConfig",
    "TrackingUnavailable",
    "code_version",
    "default_tracking_config",
    "discard_on_failure",
    "experiment_name",
    "load_registered",
    "log_fit",
    "register_fit",
    "registered_name",
    "run_url",
    "set_alias",
    "tracking_client",
]
