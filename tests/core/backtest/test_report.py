"""The backtest report and figures over the realised forecasts of a short walk-forward stored in DuckDB."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forge_core.backtest.plots import cumulative_loss_difference, forecast_vs_realised
from forge_core.backtest.report import (
    MIN_DAYS_PER_YEAR,
    SUMMARY_COLUMNS,
    BacktestReport,
    evaluate_backtest,
    summary_markdown,
)
from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import monthly_windows
from forge_core.forecasting.forecast_store import load_realised, write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import open_warehouse

SPECS = DEFAULT_TARGETS[:2]  # rv_1d, rv_5d
FAMILIES = ["har", "log_har", "ewma", "random_walk"]
SYMBOLS = ["SYN000", "SYN001"]
# 12 monthly windows: about 130 trading days in 2018 and 125 in 2019
WINDOWS = monthly_windows(dt.date(2018, 7, 1), dt.date(2019, 6, 30))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def realised(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    first, today = dt.date(2015, 1, 5), dt.date(2019, 12, 31)
    bars = SyntheticSource(2, seed=3, start=first, today=today).load(first, today)
    path = tmp_path_factory.mktemp("report") / "warehouse.duckdb"
    with open_warehouse(path) as conn:
        span = build_market_tables(conn, bars, SPECS)
        for spec in SPECS:
            panel = load_panel(conn, spec, span.end)
            for family in FAMILIES:
                for result in walk_forward(panel, spec, family, WINDOWS, TrainingScheme()):
                    assert not result.skipped
                    write_window(conn, result, TrainingScheme())
        return load_realised(conn)


@pytest.fixture(scope="module")
def report(realised: pd.DataFrame) -> BacktestReport:
    return evaluate_backtest(realised)


def test_realised_rows_cover_every_forecast_day(realised: pd.DataFrame) -> None:
    days = pd.bdate_range(WINDOWS[0].start, WINDOWS[-1].last_day)
    assert len(realised) == len(days) * len(SYMBOLS) * len(SPECS) * len(FAMILIES)
    assert set(realised["horizon"]) == {1, 5} and set(realised["proxy"]) == {"parkinson"}
    assert np.isfinite(realised["realised"]).all() and (realised["realised"] > 0).all()


def test_overall_has_one_row_per_symbol_target_and_model(report: BacktestReport) -> None:
    overall = report.overall
    keys = overall[["symbol", "target", "model"]]
    assert not keys.duplicated().any()
    expected = set(itertools.product(SYMBOLS, [s.name for s in SPECS], FAMILIES))
    assert set(map(tuple, keys.to_numpy())) == expected
    assert list(overall.columns[:3]) == ["symbol", "target", "model"]
    assert (overall["n"] == len(pd.bdate_range(WINDOWS[0].start, WINDOWS[-1].last_day))).all()


def test_har_is_the_benchmark_and_the_scores_are_in_range(report: BacktestReport) -> None:
    overall = report.overall
    har = overall[overall["model"] == "har"]
    assert (har["qlike_ratio"] == 1.0).all() and (har["mse_ratio"] == 1.0).all()
    assert (overall["qlike_ratio"] > 0).all() and np.isfinite(overall["qlike_ratio"]).all()
    for column in ("coverage_80%", "coverage_90%"):
        assert overall[column].between(0.0, 1.0).all(), column
    assert (overall["coverage_90%"] >= overall["coverage_80%"]).all()
    assert (overall["width_90%"] > overall["width_80%"]).all() and (overall["width_80%"] > 0).all()
    assert overall["dm_p_vs_log_har"].dropna().between(0.0, 1.0).all()
    assert (overall["noise_floor"] > 0).all()
    np.testing.assert_allclose(overall["reducible_qlike"], overall["qlike"] - overall["noise_floor"])


def test_overall_scores_match_a_direct_computation(realised: pd.DataFrame, report: BacktestReport) -> None:
    for (symbol, target, model), rows in realised.groupby(["symbol", "target", "model"]):
        row = report.overall.set_index(["symbol", "target", "model"]).loc[(symbol, target, model)]
        ratio = rows["realised"] / rows["forecast"]
        assert row["qlike"] == pytest.approx(float(np.mean(ratio - np.log(ratio) - 1)), rel=1e-10)
        inside = (rows["realised"] >= rows["q10"]) & (rows["realised"] <= rows["q90"])
        assert row["coverage_80%"] == pytest.approx(inside.mean(), abs=1e-12)
        assert row["width_90%"] == pytest.approx((rows["q95"] - rows["q05"]).mean(), rel=1e-10)


def test_summary_markdown_has_the_header_and_a_row_per_model(report: BacktestReport) -> None:
    lines = summary_markdown(report).splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == [c for c in SUMMARY_COLUMNS if c in report.overall.columns]
    assert header[:7] == ["symbol", "target", "model", "n", "first_day", "last_day", "qlike"]
    assert set(lines[1]) <= set("|-: ")
    assert len(lines) == 2 + len(report.overall)


def test_yearly_table_has_each_year_with_enough_days(realised: pd.DataFrame, report: BacktestReport) -> None:
    yearly = report.yearly
    assert list(yearly.columns[:4]) == ["symbol", "target", "year", "model"]
    assert set(yearly["year"]) == {2018, 2019}
    assert not yearly.duplicated(["symbol", "target", "year", "model"]).any()
    assert len(yearly) == 2 * len(SYMBOLS) * len(SPECS) * len(FAMILIES)
    assert (yearly["n"] >= MIN_DAYS_PER_YEAR).all()
    assert (yearly.loc[yearly["model"] == "har", "qlike_ratio"] == 1.0).all()

    # July 2018 to mid-January 2019: 2019 has too few days for a row of its own
    short = evaluate_backtest(realised[realised["date"] < pd.Timestamp("2019-01-15")])
    assert set(short.yearly["year"]) == {2018}
    assert len(short.overall) == len(report.overall)
    # two months: no year qualifies, the yearly table is empty
    tiny = evaluate_backtest(realised[realised["date"] < pd.Timestamp("2018-09-01")])
    assert tiny.yearly.empty and len(tiny.overall) == len(report.overall)


@pytest.mark.parametrize("target", [spec.name for spec in SPECS])
def test_plots_write_png_files(tmp_path: Path, realised: pd.DataFrame, target: str) -> None:
    paths = [
        forecast_vs_realised(realised, target, tmp_path / "figures" / f"{target}_vs_realised.png"),
        cumulative_loss_difference(realised, target, tmp_path / "figures" / "nested" / f"{target}_cum.png"),
    ]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC), path
        assert len(data) > 5_000, f"{path}: suspiciously small figure ({len(data)} bytes)"


def test_a_day_whose_realised_proxy_is_zero_is_left_out_and_counted(realised: pd.DataFrame) -> None:
    """QLIKE has no value at y = 0 (a day with high == low); the report scores the other days and says so."""
    zero_day = realised["date"].sort_values().iloc[len(realised) // 2]
    with_zero = realised.assign(realised=realised["realised"].where(realised["date"] != zero_day, 0.0))
    overall = evaluate_backtest(with_zero).overall
    assert (overall["zero_days_left_out"] == 1).sum() > 0
    assert (overall["zero_days_left_out"] >= 0).all()
