"""Study figures: history and importances as non-empty HTML and PNG files."""

from __future__ import annotations

from pathlib import Path

import optuna

from forge_core.tuning import default_storage_url, open_study, study_figures

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def quadratic(trial: optuna.Trial) -> float:
    return (trial.suggest_float("x", -2, 2) - 0.5) ** 2 + 0.1 * trial.suggest_int("k", 0, 4)


def test_figures_of_a_study(tmp_path: Path) -> None:
    open_study(default_storage_url(), "fig/study", seed=0).optimize(quadratic, n_trials=8)
    files = study_figures(default_storage_url(), "fig/study", tmp_path / "figures")
    assert [f.name for f in files] == [
        "fig_study_history.html",
        "fig_study_history.png",
        "fig_study_importances.html",
        "fig_study_importances.png",
    ]
    assert all(f.stat().st_size > 1000 for f in files)
    assert all(f.read_bytes().startswith(PNG_MAGIC) for f in files if f.suffix == ".png")
    assert "plotly" in files[0].read_text()


def test_too_few_trials_for_importances(tmp_path: Path) -> None:
    study = open_study(default_storage_url(), "small", seed=0)
    assert study_figures(default_storage_url(), "small", tmp_path) == []
    study.optimize(quadratic, n_trials=2)
    files = study_figures(default_storage_url(), "small", tmp_path)
    assert [f.name for f in files] == ["small_history.html", "small_history.png"]
