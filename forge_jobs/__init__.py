"""Jobs, schedules, sensors and the Definitions of the VolatilityForge code location.

Importing this package checks every ``FORGE_*`` setting first (``forge_core.settings.check_settings``), so the
definitions never load, and no command or run starts, on a bad value. A command that stops on a failure that
explains itself (a bad setting: variable, value, accepted form; a full disk: path and space left) prints its lines
without a traceback.
"""

from __future__ import annotations

import sys
from types import TracebackType

from forge_core.disk_space import DiskFull
from forge_core.settings import SettingError, check_settings

SELF_EXPLAINED = (SettingError, DiskFull)

_previous_hook = sys.excepthook


def _without_traceback(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if isinstance(error, SELF_EXPLAINED):
        print(f"error: {error}", file=sys.stderr)
    else:
        _previous_hook(kind, error, trace)


sys.excepthook = _without_traceback
check_settings()
