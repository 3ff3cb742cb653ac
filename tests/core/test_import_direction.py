"""Imports in forge_core run downhill only: every folder (or top-level module) sits on a floor, and may import only
from lower floors, so no loop between folders can form. A new folder declares its floor here."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

CORE = Path(__file__).parents[2] / "forge_core"

# lowest first; a unit imports only units of floors below its own (the package's ``__init__`` reaches the notebook
# front door, ``live.front_door``, lazily on first use: the one door upward, by design)
FLOORS: tuple[tuple[str, ...], ...] = (
    (
        "__init__",
        "date_window",
        "disk_space",
        "lazy_exports",
        "quantiles",
        "roles",
        "settings",
        "state_stores",
        "units",
    ),
    ("evaluation", "nets", "regimes", "risk", "warehouse"),
    ("data", "intervals", "monitoring"),
    ("features", "options"),
    ("ensembles", "models", "targets"),
    ("backtest", "compute", "forecasting", "market_tables", "tracking"),
    ("live", "tuning"),
    ("explain", "paths"),
)
FLOOR = {unit: level for level, units in enumerate(FLOORS) for unit in units}


def _unit(module: str) -> str:
    """The folder or top-level module of ``forge_core.<unit>...``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) -> the files and lines, for every import of another unit (any depth)."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(CORE.rglob("*.py")):
        source = _unit(".".join(path.relative_to(CORE.parent).with_suffix("").parts))
        if path.name == "__init__.py" and path.parent == CORE:
            source = "__init__"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("forge_core.") and _unit(name) != source:
                    found[(source, _unit(name))].append(f"{path.relative_to(CORE.parent)}:{node.lineno}")
    return found


def test_every_unit_has_a_floor() -> None:
    units = {p.name for p in CORE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    units |= {p.stem for p in CORE.glob("*.py")}
    assert units - set(FLOOR) == set(), "declare the floor of every folder and top-level module"


def test_no_import_runs_uphill() -> None:
    uphill = [
        f"{where}: {source} (floor {FLOOR[source]}) imports {target} (floor {FLOOR[target]})"
        for (source, target), places in _imports().items()
        if FLOOR[target] >= FLOOR[source]
        for where in places
    ]
    assert uphill == []
