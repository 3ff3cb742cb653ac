"""Heavy libraries load only in the code that needs them: the Dagster code location (which every run worker imports
on start) and the model and combiner registries import none of torch, optuna, matplotlib and shap. Each check runs
in a fresh interpreter, with no FORGE_* setting but its own FORGE_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).parents[2]
HEAVY = ("torch", "optuna", "matplotlib", "shap")


def _run(code: str, home: Path) -> dict[str, Any]:
    """Run ``code`` (which leaves its findings in ``found``) in a fresh interpreter; ``found`` with the heavy modules
    imported by then under ``heavy``."""
    probe = (
        f"import json, sys\nfound = {{}}\n{code}\n"
        f"found['heavy'] = [m for m in {HEAVY!r} if m in sys.modules]\nprint(json.dumps(found))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORGE_")} | {"FORGE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_code_location_imports_no_heavy_library(tmp_path: Path) -> None:
    found = _run("import forge_jobs.definitions", tmp_path)
    assert found["heavy"] == []


def test_every_family_and_combiner_declares_itself_without_torch(tmp_path: Path) -> None:
    """What the registry, the asset factories and tuning read of every class, and a model and combiner of each,
    created (their params checked) but not fitted."""
    code = """
import dataclasses
from forge_core.ensembles import COMBINER_REGISTRY, create_combiner
from forge_core.models import MODEL_REGISTRY, ForecastTask, create_model
for name, cls in MODEL_REGISTRY.items():
    model = create_model(name, ForecastTask(horizon=1, proxy="parkinson"))
    found[name] = {
        "group": cls.group, "kinds": sorted(cls.kinds), "pool": cls.pool, "described": bool(cls.description),
        "tunable": cls.search_space is not None, "params": [f.name for f in dataclasses.fields(cls.Params)],
        "inputs": list(model.input_columns()),
    }
for name in COMBINER_REGISTRY:
    found[name] = type(create_combiner(name)).__name__
"""
    found = _run(code, tmp_path)
    assert found.pop("heavy") == []
    nets = ("mlp", "lstm", "gru", "tcn", "transformer")
    assert {"random_walk", "har", "garch", "gjr_garch", *nets, "meta"} <= set(found)
    for family in nets:
        declared = found[family]
        assert {key: declared[key] for key in ("group", "kinds", "pool", "tunable")} == {
            "group": "deep_models",
            "kinds": ["pytorch"],
            "pool": "gpu",
            "tunable": True,
        }
        assert declared["described"] and "seed" in declared["params"] and declared["inputs"]
    assert found["meta"] == "MetaCombiner"
