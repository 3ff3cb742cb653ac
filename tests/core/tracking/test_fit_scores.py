"""Window scores added to the walk-forward fit runs of a real SQLite store once the windows' bands are calibrated:
each run gets its own (model, symbol, window)'s figures, found with one search of the experiment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from forge_core.date_window import DateWindow, monthly_windows
from forge_core.forecasting.walk_forward import TrainingScheme, WindowResult, walk_forward
from forge_core.intervals.window_intervals import window_intervals, window_scores
from forge_core.tracking import (
    code_version,
    default_tracking_config,
    experiment_name,
    log_fit,
    tracking_client,
)
from forge_core.tracking.config import TrackingConfig
from forge_core.tracking.fit_scores import log_window_scores
from forge_core.tracking.fits import run_name
from tests.core.tracking.conftest import SPECS

SPEC = SPECS[0]  # rv_1d
WINDOWS = monthly_windows(dt.date(2019, 1, 1), dt.date(2019, 3, 1))  # the last is fitted, not scored
SCORED = WINDOWS[:2]
LEVELS = (0.5, 0.9)


def track(config: TrackingConfig, result: WindowResult, panel: pd.DataFrame, name: str | None = None) -> None:
    """What the model assets log for each fit of a window (``model_forecasts.track_fits``)."""
    for fit in result.fits:
        log_fit(
            config,
            model=fit.model,
            target=result.target,
            symbol=fit.symbol,
            window_start=result.window.start,
            window_end=result.window.end,
            trained_through=fit.trained_through,
            train_rows=fit.train_rows,
            features=None,
            metrics={"fit_seconds": fit.seconds, **fit.scores(panel)},
            epoch_history=None,
            code_version=code_version(),
            model_name=name or result.family,
        )


def in_window(frame: pd.DataFrame, window: DateWindow) -> pd.Series:
    return (frame["date"] >= pd.Timestamp(window.start)) & (frame["date"] < pd.Timestamp(window.end))


def expected_ratio(history: pd.DataFrame, model: str, symbol: str, window: DateWindow) -> float:
    """Mean squared error of ``model`` over HAR's on the window's days both forecast, realised > 0."""
    mine = history[(history["symbol"] == symbol) & in_window(history, window)]
    paired = mine[mine["model"] == model].merge(
        mine[mine["model"] == "har"], on="date", suffixes=("", "_har")
    )
    paired = paired[paired["realised"] > 0]
    y = paired["realised"].to_numpy()
    return float(np.mean((y - paired["forecast"]) ** 2) / np.mean((y - paired["forecast_har"]) ** 2))


def expected_coverage(
    rows: pd.DataFrame, realised: pd.DataFrame, model: str, symbol: str, window: DateWindow, level: float
) -> float:
    """Share of the window's realised days inside the model's pid band at ``level``."""
    band = rows[(rows["model"] == model) & (rows["symbol"] == symbol) & (rows["level"] == level)]
    band = band[(band["method"] == "pid") & in_window(band, window)].merge(realised, on=["symbol", "date"])
    y = band["realised"]
    return float(((band["lower"] <= y) & (y <= band["upper"])).mean())


def test_every_fit_run_of_the_windows_gets_its_own_scores_from_one_search(
    panels: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, panel = default_tracking_config(), panels[SPEC.name]
    forecasts = []
    for family in ("har", "ewma"):
        for result in walk_forward(panel, SPEC, family, WINDOWS, TrainingScheme()):
            track(config, result, panel)
            forecasts.append(result.forecasts)
            if family == "har" and result.window == SCORED[0]:
                track(config, result, panel)  # fitted again: the newer run gets the scores
            if family == "ewma" and result.window == SCORED[0]:
                track(config, result, panel, "ewma_without_vix")  # a variant: its runs name the family too
    realised = panel[["symbol", "date", "target_value"]].rename(columns={"target_value": "realised"}).dropna()
    history = pd.concat(forecasts, ignore_index=True).merge(realised, on=["symbol", "date"], how="left")
    rows = window_intervals(history, SPEC.name, SPEC.horizon, SCORED, ("split", "pid"), LEVELS, min_scores=10)
    scores = window_scores(history, realised, rows, SCORED, "pid")
    scores.loc[("ensemble_equal", "SYN000", SCORED[0].start), :] = 0.5  # no run: skipped
    scores.loc[("ewma_without_vix", "SYN000", SCORED[0].start), :] = 0.25

    searches = []
    search_runs = MlflowClient.search_runs

    def counted(self: MlflowClient, *args: Any, **kwargs: Any) -> Any:
        searches.append(args)
        return search_runs(self, *args, **kwargs)

    monkeypatch.setattr(MlflowClient, "search_runs", counted)
    assert log_window_scores(config, SPEC.name, scores, {"coverage_method": "pid"}) == 2 * 2 * 2 + 1
    assert len(searches) == 1  # one search for the range's runs, then one batch per run
    monkeypatch.undo()

    client = tracking_client(config)
    experiment = client.get_experiment_by_name(experiment_name(SPEC.name)).experiment_id
    for window in WINDOWS:
        for model in ("har", "ewma"):
            for symbol in ("SYN000", "SYN001"):
                name = run_name(model, SPEC.name, symbol, window.start)
                runs = client.search_runs(
                    [experiment], f"attributes.run_name = '{name}'", order_by=["start_time"]
                )
                runs = [r for r in runs if r.data.tags["forge.model"] == model]
                metrics = [r.data.metrics for r in runs]
                if window not in SCORED:  # fitted, but its bands not calibrated by this range
                    assert "oos_mse_ratio_har" not in metrics[-1]
                    continue
                assert all("coverage_0.5" not in m for m in metrics[:-1])  # only the latest of a refit
                latest = metrics[-1]
                assert latest["oos_mse_ratio_har"] == pytest.approx(
                    expected_ratio(history, model, symbol, window), rel=1e-12
                )
                for level in LEVELS:
                    assert latest[f"coverage_{level:g}"] == pytest.approx(
                        expected_coverage(rows, realised, model, symbol, window, level), rel=1e-12
                    )
                assert 0 < latest["log_width_0.5"] < latest["log_width_0.9"]
                assert runs[-1].data.tags["forge.coverage_method"] == "pid"
    har = client.search_runs([experiment], "attributes.run_name = 'har-rv_1d-SYN001-2019-02-01'")
    assert har[0].data.metrics["oos_mse_ratio_har"] == 1.0
    variant = client.search_runs([experiment], "tags.`forge.model` = 'ewma_without_vix'")
    by_symbol = {run.data.tags["forge.symbol"]: run.data.metrics for run in variant}
    assert by_symbol["SYN000"]["oos_mse_ratio_har"] == 0.25  # its own row, not the plain family's
    assert "oos_mse_ratio_har" not in by_symbol["SYN001"]  # none for it


def test_nothing_to_log_without_the_experiment_or_the_scores() -> None:
    config = default_tracking_config()
    index = pd.MultiIndex.from_tuples([("har", "SYN000", dt.date(2019, 1, 1))])
    assert log_window_scores(config, "rv_9d", pd.DataFrame({"oos_mse_ratio_har": [1.0]}, index=index)) == 0
    assert log_window_scores(config, "rv_1d", pd.DataFrame()) == 0
