"""A training run killed part-way resumes from its checkpoint and ends where an uninterrupted run ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from forge_core.models import Runtime, create_model
from forge_core.models.torch_model import TorchModel
from forge_core.nets.trainer import CHECKPOINT_NAME
from tests.core.nets.conftest import TASK

ROOT = Path(__file__).resolve().parents[3]
KILL_AFTER = 3
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "transformer-plateau-dropout": (
        "transformer",
        {"epochs": 6, "patience": 10, "hidden": 16, "seq_len": 10, "schedule": "plateau", "dropout": 0.2},
    ),
    "mlp-onecycle-accumulate": (
        "mlp",
        {"epochs": 6, "patience": 10, "schedule": "onecycle", "accumulate": 2},
    ),
}


def fit(
    family: str, params: dict[str, Any], train: pd.DataFrame, runtime: Runtime | None = None
) -> TorchModel:
    model = create_model(family, TASK, runtime, **params)
    assert isinstance(model, TorchModel)
    return model.fit(train, train["target_value"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_killed_run_resumes_at_the_next_epoch_with_identical_weights(
    case: str, panel: pd.DataFrame, tmp_path: Path
) -> None:
    family, params = CASES[case]
    train = panel.iloc[:1500]
    data = tmp_path / "train.parquet"
    train.to_parquet(data)
    checkpoints = tmp_path / "checkpoints"
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        import pandas as pd
        from forge_core.models import Runtime
        from tests.core.nets.test_resume import fit

        def log(message):
            print(message, flush=True)
            if message.startswith("{family} epoch {KILL_AFTER}/"):
                os._exit(17)  # as abrupt as a kill: no cleanup, no exception handling

        runtime = Runtime(checkpoint_dir=Path({str(checkpoints)!r}), log=log)
        fit({family!r}, {params!r}, pd.read_parquet({str(data)!r}), runtime)
        """
    )
    killed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert killed.returncode == 17, killed.stderr
    assert killed.stdout.splitlines()[-1].startswith(f"{family} epoch {KILL_AFTER}/6 train ")
    saved = torch.load(checkpoints / CHECKPOINT_NAME, weights_only=True)
    assert saved["epoch"] == KILL_AFTER and len(saved["history"]) == KILL_AFTER

    messages: list[str] = []
    resumed = fit(family, params, train, Runtime(checkpoint_dir=checkpoints, log=messages.append))
    assert messages[0].startswith(f"{family} resuming at epoch {KILL_AFTER + 1}/6 in ")
    assert messages[1].startswith(f"{family} epoch {KILL_AFTER + 1}/6 train ")
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4, 5, 6]

    reference = fit(family, params, train)  # uninterrupted, no checkpoints
    assert resumed.history == reference.history
    assert resumed.net is not None and reference.net is not None
    for (name, a), b in zip(
        resumed.net.state_dict().items(), reference.net.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
    np.testing.assert_array_equal(resumed.predict(panel), reference.predict(panel))


def test_finished_and_foreign_checkpoints(panel: pd.DataFrame, tmp_path: Path) -> None:
    train = panel.iloc[:800]
    params = {"epochs": 2, "hidden": 8}
    first = fit("mlp", params, train, Runtime(checkpoint_dir=tmp_path))
    messages: list[str] = []
    again = fit("mlp", params, train, Runtime(checkpoint_dir=tmp_path, log=messages.append))
    assert messages == [f"mlp finished after epoch 2 in {tmp_path / CHECKPOINT_NAME}"]  # nothing left to do
    np.testing.assert_array_equal(again.predict(train), first.predict(train))
    messages.clear()
    fit("mlp", {**params, "seed": 1}, train, Runtime(checkpoint_dir=tmp_path, log=messages.append))
    assert messages[0].startswith("mlp ignoring ") and messages[1].startswith("mlp epoch 1/2 ")
