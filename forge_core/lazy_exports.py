"""Package names that load on first use: a package's ``__init__`` declares which module holds each name it exports,
so importing one of its modules pays for none of the others (``forge_core.evaluation.losses`` without SciPy's
statistics, ``forge_core.live.published`` without MLflow)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, module_of: Mapping[str, str]) -> Callable[[str], Any]:
    """The module-level ``__getattr__`` of ``package`` that imports ``package.<module_of[name]>`` when ``name`` is
    first read."""

    def __getattr__(name: str) -> Any:
        if name in module_of:
            return getattr(importlib.import_module(f"{package}.{module_of[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
