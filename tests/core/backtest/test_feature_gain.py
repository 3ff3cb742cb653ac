"""The feature-gain part of the backtest report: a variant closer to the truth shows a QLIKE ratio below 1 with a
small DM p-value, a ``_without_`` variant is paired the other way round, a variant whose partner has no forecasts
is left out, and only the days both forecast count."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forge_core.backtest.feature_gain import GAIN_COLUMNS, feature_gain, gain_summary
from forge_core.backtest.report import evaluate_backtest, summary_markdown

DAYS = pd.bdate_range("2017-01-02", periods=500)
QUANTILE_FACTORS = {"q05": 0.3, "q10": 0.4, "q50": 0.9, "q90": 2.0, "q95": 2.5}


def rows(model: str, forecast: np.ndarray, truth: np.ndarray, days: pd.DatetimeIndex = DAYS) -> pd.DataFrame:
    n = len(days)
    return pd.DataFrame(
        {
            "symbol": "SYN000",
            "date": days,
            "target": "rv_1d",
            "horizon": 1,
            "proxy": "parkinson",
            "model": model,
            "window_start": days[0],
            "forecast": forecast[:n],
            "realised": truth[:n],
            **{q: forecast[:n] * k for q, k in QUANTILE_FACTORS.items()},
        }
    )


def test_a_better_variant_gains_significantly_and_pairs_by_name() -> None:
    rng = np.random.default_rng(0)
    variance = np.exp(rng.normal(-9, 0.6, len(DAYS)))
    truth = variance * rng.chisquare(4, len(DAYS)) / 4
    noisy = variance * np.exp(rng.normal(0, 0.7, len(DAYS)))
    close = variance * np.exp(rng.normal(0, 0.1, len(DAYS)))
    realised = pd.concat(
        [
            rows("log_har", noisy, truth),
            rows("log_har_with_options", close, truth),
            rows("mlp", close, truth),
            rows("mlp_without_vix", noisy, truth, DAYS[100:]),  # fewer days: only those both forecast count
            rows("har_with_vix", close, truth),  # its partner has no forecasts: left out
        ],
        ignore_index=True,
    )
    gain = feature_gain(realised)
    assert list(gain.columns) == GAIN_COLUMNS
    assert gain[["without", "with"]].values.tolist() == [
        ["log_har", "log_har_with_options"],
        ["mlp_without_vix", "mlp"],
    ]
    assert (
        (gain["qlike_ratio"] < 0.8).all()
        and (gain["dm_p_value"] < 0.01).all()
        and (gain["dm_statistic"] < 0).all()
    )
    assert gain["n"].tolist() == [500, 400] and gain["first_day"].iloc[1] == DAYS[100].date()
    summary = gain_summary(gain)
    assert summary["significantly_better"].tolist() == [1, 1] and summary["significantly_worse"].sum() == 0
    report = evaluate_backtest(realised)
    assert report.feature_gain.equals(gain)
    assert "Feature sets: QLIKE ratio with / without" in summary_markdown(report)


def test_no_variants_no_gain_table() -> None:
    truth = np.full(len(DAYS), 1e-4)
    gain = feature_gain(pd.concat([rows("har", truth, truth), rows("ewma", truth, truth)]))
    assert gain.empty and list(gain.columns) == GAIN_COLUMNS
