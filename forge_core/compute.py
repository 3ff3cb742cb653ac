"""Which torch device and precision to train on: cuda with bf16 autocast when a GPU is present, else cpu/fp32."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from forge_core.models.base import Runtime


def resolve_device(requested: str = "") -> str:
    """``requested`` ("cpu", "cuda", "cuda:1") or, when empty, cuda if torch sees a GPU and cpu otherwise."""
    import torch

    if not requested:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {requested!r} requested but torch sees no CUDA GPU")
    return requested


def resolve_precision(device: str, requested: str = "") -> Literal["fp32", "bf16"]:
    """bf16 autocast on a GPU unless fp32 is asked for; fp32 on the cpu (bf16 there is slow and inexact)."""
    if requested not in ("", "fp32", "bf16"):
        raise ValueError(f"precision must be 'fp32' or 'bf16', got {requested!r}")
    if device.startswith("cuda"):
        return "fp32" if requested == "fp32" else "bf16"
    if requested == "bf16":
        raise ValueError("bf16 autocast is only used on a CUDA device")
    return "fp32"


def make_runtime(
    device: str = "",
    precision: str = "",
    checkpoint_dir: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Runtime:
    """A Runtime on the resolved device and precision."""
    resolved = resolve_device(device)
    return Runtime(resolved, resolve_precision(resolved, precision), checkpoint_dir, log)
