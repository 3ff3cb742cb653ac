"""The torch compute resource: device, precision and where training checkpoints go."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from forge_core.compute import make_runtime
from forge_core.models import Runtime
from forge_core.settings import forge_home


class ComputeResource(ConfigurableResource):
    """cuda with bf16 autocast when the machine has a GPU, cpu with fp32 otherwise; GPU steps share the `gpu` pool.

    ``forge_jobs.resources.resources_from_env`` passes FORGE_DEVICE and FORGE_PRECISION to ``device`` and
    ``precision`` as ``EnvVar`` when set; ``checkpoint_dir`` has no variable (empty: FORGE_HOME/checkpoints,
    FORGE_HOME read by ``forge_core.settings``)."""

    device: str = Field(
        default="", description='"" picks cuda when present, else cpu; or "cpu", "cuda", "cuda:1".'
    )
    precision: str = Field(
        default="", description='"" picks bf16 on cuda and fp32 on cpu; or "fp32", "bf16".'
    )
    checkpoint_dir: str = Field(
        default="", description="Training checkpoints; empty means FORGE_HOME/checkpoints."
    )

    def runtime(self, log: Callable[[str], None] | None = None) -> Runtime:
        """The Runtime models train on, logging progress through ``log``."""
        folder = Path(self.checkpoint_dir) if self.checkpoint_dir else forge_home() / "checkpoints"
        return make_runtime(self.device, self.precision, folder, log)
