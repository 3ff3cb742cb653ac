"""Model comparison tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.evaluation import by_year, compare_forecasts

MODELS = ["har", "log_har", "garch"]


def _data(n: int = 600, seed: int = 0) -> tuple[pd.Series, pd.DataFrame]:
    """Business days from mid-2019: a persistent true variance, a noisy proxy and three forecasts."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2019-07-01", periods=n)
    log_variance = np.zeros(n)
    for t in range(1, n):
        log_variance[t] = 0.95 * log_variance[t - 1] + 0.3 * rng.standard_normal()
    variance = np.exp(log_variance)
    y = pd.Series(variance * rng.chisquare(4, n) / 4, index=index)
    forecasts = pd.DataFrame(
        {
            "har": variance * np.exp(0.2 * rng.standard_normal(n)),
            "log_har": variance * np.exp(0.2 * rng.standard_normal(n)),
            "garch": 2.0 * variance,
        },
        index=index,
    )
    return y, forecasts


def test_columns_and_benchmark_ratios() -> None:
    y, forecasts = _data()
    table = compare_forecasts(y, forecasts, 5)
    assert list(table.index) == MODELS
    assert list(table.columns) == [
        "n",
        "mse",
        "qlike",
        "mse_ratio",
        "qlike_ratio",
        "dm_p_vs_har",
        "dm_p_vs_log_har",
        "in_mcs",
        "mz_beta",
        "mz_r2",
    ]
    assert table.loc["har", ["mse_ratio", "qlike_ratio", "dm_p_vs_har"]].tolist() == [1.0, 1.0, 1.0]
    assert table.loc["log_har", "dm_p_vs_log_har"] == 1.0
    assert table.loc["garch", "qlike_ratio"] > 1.0
    assert table.loc["garch", "dm_p_vs_har"] < 0.01
    assert table["in_mcs"].tolist() == [True, True, False]


def test_days_with_any_missing_value_are_dropped_for_every_model() -> None:
    y, forecasts = _data()
    y.iloc[3] = np.nan
    forecasts.iloc[10, 2] = np.nan
    forecasts.iloc[[10, 20], 0] = np.nan
    table = compare_forecasts(y, forecasts, 1)
    assert (table["n"] == len(y) - 3).all()
    complete = compare_forecasts(y.drop(y.index[[3, 10, 20]]), forecasts.drop(y.index[[3, 10, 20]]), 1)
    pd.testing.assert_frame_equal(table, complete)


def test_an_absent_benchmark_leaves_its_columns_nan() -> None:
    y, forecasts = _data()
    table = compare_forecasts(y, forecasts[["log_har", "garch"]], 1, qlike_floor=0.1)
    assert table[["mse_ratio", "qlike_ratio", "dm_p_vs_har"]].isna().all().all()
    assert table["dm_p_vs_log_har"].notna().all()
    assert table["reducible_qlike"].tolist() == pytest.approx((table["qlike"] - 0.1).tolist())


def test_mismatched_index_is_rejected() -> None:
    y, forecasts = _data()
    with pytest.raises(ValueError, match="same index"):
        compare_forecasts(y.iloc[1:], forecasts, 1)


def test_by_year() -> None:
    y, forecasts = _data()  # 2019-07 to 2021-10: 2019, 2020 and 2021 all have >= 50 days
    table = by_year(y, forecasts, 5, min_days=50)
    assert table.columns[0] == "year"
    assert table["year"].tolist() == [2019] * 3 + [2020] * 3 + [2021] * 3
    first_year = y.index.year == 2019
    pd.testing.assert_frame_equal(
        table[table["year"] == 2019].drop(columns="year"),
        compare_forecasts(y[first_year], forecasts[first_year], 5),
    )
    assert by_year(y, forecasts, 5, min_days=200)["year"].unique().tolist() == [2020, 2021]
