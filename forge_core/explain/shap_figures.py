"""SHAP figures as PNG files: importance bars per family, a beeswarm summary and a waterfall of one forecast
(matplotlib and shap are imported when one is drawn)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forge_core.backtest.plots import pyplot, save_figure
from forge_core.explain.global_importance import Importance

SHOWN_FEATURES = 10


def importance_bars(table: pd.DataFrame, title: str, path: Path) -> Path:
    """One panel per family of ``pooled_importance`` rows: the mean |SHAP| of its top features."""
    plt = pyplot()
    families = sorted(table["family"].unique())
    fig, axes = plt.subplots(1, len(families), figsize=(3.6 * len(families), 3.8), squeeze=False)
    fig.suptitle(title)
    for ax, family in zip(axes[0], families, strict=True):
        rows = table[table["family"] == family].nsmallest(SHOWN_FEATURES, "rank").iloc[::-1]
        ax.barh(rows["feature"], rows["mean_abs"])
        ax.set_title(f"{family} ({rows['method'].iloc[0]})", fontsize=9)
        ax.set_xlabel("mean |SHAP| (log variance)")
        ax.tick_params(labelsize=7)
    return save_figure(plt.gcf(), path)


def _shap_explanation(importance: Importance, rows: slice | int) -> object:
    import shap

    e = importance.explanation
    values = e.contributions.to_numpy()[rows]
    return shap.Explanation(
        values=values,
        base_values=np.full(len(values), e.base) if values.ndim == 2 else e.base,
        data=importance.values.to_numpy()[rows],
        feature_names=list(e.contributions.columns),
    )


def beeswarm(importance: Importance, title: str, path: Path) -> Path:
    """shap's beeswarm summary of every explained row: each feature's contributions coloured by its value."""
    import shap

    plt = pyplot()
    plt.figure(figsize=(8, 5))
    shap.plots.beeswarm(_shap_explanation(importance, slice(None)), max_display=SHOWN_FEATURES, show=False)
    plt.title(title, fontsize=10)
    return save_figure(plt.gcf(), path)


def waterfall(importance: Importance, title: str, path: Path) -> Path:
    """shap's waterfall of the last explained row: from the base value to the log-variance forecast."""
    import shap

    plt = pyplot()
    last = len(importance.explanation.output) - 1
    plt.figure(figsize=(8, 5))
    shap.plots.waterfall(_shap_explanation(importance, last), max_display=SHOWN_FEATURES, show=False)
    plt.title(title, fontsize=10)
    return save_figure(plt.gcf(), path)
