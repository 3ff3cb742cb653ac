"""Drift: Evidently finds a shifted column and not a steady one; the alarm needs drift on consecutive days."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forge_core.monitoring.drift import evidently_drift, persistent_alarm


def test_a_shifted_column_drifts_and_a_steady_one_does_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"steady": rng.normal(size=500), "shifted": rng.normal(size=500)})
    current = pd.DataFrame({"steady": rng.normal(size=200), "shifted": rng.normal(2.0, 1.0, size=200)})
    share, columns = evidently_drift(reference, current, tmp_path / "drift.html")
    assert share == 0.5 and columns["shifted"]["drifted"] and not columns["steady"]["drifted"]
    assert (tmp_path / "drift.html").stat().st_size > 10_000


def test_the_alarm_needs_persistence() -> None:
    assert not persistent_alarm([0.9, 0.9], 0.5, 3)  # too few reports yet
    assert not persistent_alarm([0.9, 0.1, 0.9], 0.5, 3)
    assert persistent_alarm([0.1, 0.6, 0.7, 0.9], 0.5, 3)
