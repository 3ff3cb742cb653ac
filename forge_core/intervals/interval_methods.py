"""Conformal calibration methods by name. Adding one: a module with its ``OnlineMethod`` subclass and frozen
``Params``, and one line in ``INTERVAL_METHODS``."""

from __future__ import annotations

from forge_core.intervals.conformal_pid import ConformalPid
from forge_core.intervals.feedback import OnlineMethod
from forge_core.intervals.split_conformal import SplitConformal

INTERVAL_METHODS: dict[str, type[OnlineMethod]] = {cls.name: cls for cls in (SplitConformal, ConformalPid)}
# The method of the live path's bands and of ``calibrate`` when none is named: the one place it is chosen.
DEFAULT_METHOD = ConformalPid.name


def method_class(name: str) -> type[OnlineMethod]:
    """The class registered under ``name``."""
    try:
        return INTERVAL_METHODS[name]
    except KeyError:
        raise ValueError(f"unknown interval method {name!r}; known: {sorted(INTERVAL_METHODS)}") from None
