"""Scores a run logs beside its losses, by hand: the MSE ratio to a benchmark on shared days, band coverage and
width, and the per (model, symbol, window) table the walk-forward fit runs get."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from forge_core.evaluation.run_scores import band_scores, mse_ratio, mse_ratios, window_run_scores

DAYS = pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"])


def rows(model: str, forecast: list[float], realised: list[float], symbol: str = "A") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": symbol,
            "date": DAYS[: len(forecast)],
            "model": model,
            "forecast": forecast,
            "realised": realised,
        }
    )


def test_the_ratio_is_taken_on_the_days_both_forecast_and_that_realised() -> None:
    y = [1.0, 2.0, np.nan, 0.0]  # not yet realised, then a zero (no score): two scored days
    model = rows("m", [2.0, 4.0, 9.0, 9.0], y)
    har = rows("har", [1.5, 3.0, 1.0, 1.0], y)
    # (1 + 4) / (0.25 + 1)
    assert mse_ratio(model, har) == pytest.approx(5.0 / 1.25)
    assert mse_ratio(model, har.iloc[1:]) == pytest.approx(4.0 / 1.0)  # the benchmark's days only
    assert mse_ratio(model, har.iloc[2:]) is None  # no shared scored day


def test_ratios_per_group_and_the_benchmark_itself_is_one() -> None:
    y = [1.0, 2.0, 3.0]
    both = pd.concat(
        [rows("m", [2.0, 2.0, 2.0], y), rows("har", [1.0, 1.0, 1.0], y), rows("m", [1.0, 2.0, 4.0], y, "B")]
    )
    har = both[both["model"] == "har"]
    ratios = mse_ratios(both, har, ["model", "symbol"])
    assert ratios[("m", "A")] == pytest.approx((1 + 0 + 1) / (0 + 1 + 4))
    assert ratios[("har", "A")] == 1.0
    assert ("m", "B") not in ratios.index  # the benchmark never forecast B


def test_coverage_and_log_width_per_level() -> None:
    bands = pd.DataFrame(
        {
            "model": "m",
            "level": [0.5, 0.5, 0.5, 0.9, 0.9, 0.9],
            "lower": [1.0, 1.0, 1.0, 0.5, 0.5, 0.5],
            "upper": [2.0, 2.0, 2.0, 4.0, 4.0, 4.0],
            "realised": [1.5, 3.0, np.nan, 1.5, 3.0, np.nan],
        }
    )
    scored = band_scores(bands, ["model"])
    assert scored.loc[("m", 0.5), "coverage"] == 0.5 and scored.loc[("m", 0.9), "coverage"] == 1.0
    assert scored.loc[("m", 0.5), "log_width"] == pytest.approx(math.log(2.0))
    assert scored.loc[("m", 0.9), "log_width"] == pytest.approx(math.log(8.0))
    assert band_scores(bands).loc[0.5, "coverage"] == 0.5  # no grouping: per level


def test_the_window_table_has_a_row_per_model_symbol_and_window() -> None:
    first, second = dt.date(2020, 1, 1), dt.date(2020, 1, 6)
    y = [1.0, 2.0, 3.0, 4.0]
    forecasts = pd.concat([rows("m", [2.0, 2.0, 2.0, 2.0], y), rows("har", [1.0, 1.0, 3.0, 3.0], y)])
    forecasts["window_start"] = np.where(forecasts["date"] < pd.Timestamp(second), first, second)
    bands = forecasts[forecasts["model"] == "m"].assign(level=0.5, lower=1.5, upper=2.5)
    table = window_run_scores(forecasts, bands)
    assert list(table.columns) == ["oos_mse_ratio_har", "coverage_0.5", "log_width_0.5"]
    assert table.loc[("m", "A", first), "oos_mse_ratio_har"] == pytest.approx((1 + 0) / (0 + 1))
    assert table.loc[("m", "A", second), "oos_mse_ratio_har"] == pytest.approx((1 + 4) / (0 + 1))
    assert table.loc[("m", "A", first), "coverage_0.5"] == 0.5  # 2.0 in [1.5, 2.5], 1.0 not
    assert table.loc[("m", "A", second), "coverage_0.5"] == 0.0
    assert math.isnan(table.loc[("har", "A", first), "coverage_0.5"])  # har has no band here
