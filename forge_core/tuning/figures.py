"""Figures of a stored study: optimisation history and parameter importances, each as HTML (plotly; loads
plotly.js from its CDN when opened) and as PNG (matplotlib, self-contained). optuna and matplotlib are imported
when the figures are drawn."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forge_core.backtest.plots import pyplot
from forge_core.tuning.study import open_storage

# PED-ANOVA, optuna's default importance evaluator, compares the best trials with the rest: with fewer
# complete trials it has nothing to compare and reports equal importances.
MIN_IMPORTANCE_TRIALS = 4

logger = logging.getLogger(__name__)


def study_figures(storage_url: str, study_name: str, folder: Path) -> list[Path]:
    """Write ``<study>_history.{html,png}`` (once a trial is complete) and ``<study>_importances.{html,png}``
    (once MIN_IMPORTANCE_TRIALS trials with parameters are) into ``folder``; returns the files written."""
    import optuna
    from matplotlib.figure import Figure
    from optuna.trial import TrialState
    from optuna.visualization import matplotlib as mpl_plots

    plt = pyplot()
    study = optuna.load_study(study_name=study_name, storage=open_storage(storage_url))
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    plots: list[tuple[str, Callable[[optuna.Study], Any], Callable[[optuna.Study], Any]]] = []
    if complete:
        plots.append(
            ("history", optuna.visualization.plot_optimization_history, mpl_plots.plot_optimization_history)
        )
    if sum(bool(t.params) for t in complete) >= MIN_IMPORTANCE_TRIALS:
        plots.append(
            ("importances", optuna.visualization.plot_param_importances, mpl_plots.plot_param_importances)
        )
    else:
        logger.info("study %s: too few complete trials for parameter importances", study_name)
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]", "_", study_name)
    written = []
    for kind, plotly_plot, matplotlib_plot in plots:
        html, png = folder / f"{stem}_{kind}.html", folder / f"{stem}_{kind}.png"
        plotly_plot(study).write_html(html, include_plotlyjs="cdn")
        with warnings.catch_warnings():  # optuna labels its matplotlib backend experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            axes = matplotlib_plot(study)
        figure = axes.get_figure(root=True)
        assert isinstance(figure, Figure)
        figure.savefig(png, dpi=100, bbox_inches="tight")
        plt.close(figure)
        written += [html, png]
    return written
