"""Degradation: a champion doing clearly worse live than out of sample, or covering too rarely, is flagged; one
doing as well is not; only the current version's own days count."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forge_core.monitoring.degradation import DegradationRule, check_degradation
from forge_core.quantiles import COVERED_COLUMNS


def scores(
    days: int, qlike: float, covered: float, version: int = 3, start: str = "2019-01-02"
) -> pd.DataFrame:
    rng = np.random.default_rng(version)
    dates = pd.bdate_range(start, periods=days)
    rows = pd.DataFrame(
        {
            "realised_on": np.repeat(dates, 2),
            "symbol": np.tile(["A", "B"], days),
            "target": "rv_1d",
            "role": "champion",
            "model": "har",
            "model_version": version,
            "fitted_qlike": 0.2,
            "qlike": rng.exponential(qlike, 2 * days),
        }
    )
    for column in COVERED_COLUMNS:
        rows[column] = rng.random(2 * days) < covered
    return rows


def test_a_champion_as_good_as_its_backtest_is_not_degraded() -> None:
    result = check_degradation(scores(60, 0.2, 0.9), "rv_1d", 1)
    assert not result.degraded and result.days == 60 and 0.7 < result.qlike_ratio < 1.3


def test_worse_qlike_or_too_rare_coverage_is_degraded_with_the_figures() -> None:
    worse = check_degradation(scores(60, 0.5, 0.9), "rv_1d", 1)
    assert worse.degraded and "x its out-of-sample" in worse.reasons[0]
    narrow = check_degradation(scores(60, 0.2, 0.7), "rv_1d", 1)
    assert narrow.degraded and "intervals covered" in narrow.reasons[0] and narrow.coverage < 0.8


def test_only_the_current_version_and_enough_days_count() -> None:
    old = scores(60, 0.9, 0.5, version=2, start="2018-06-01")
    new = scores(10, 0.2, 0.9, version=3)
    result = check_degradation(pd.concat([old, new]), "rv_1d", 1)
    assert result.model_version == 3 and result.days == 10
    assert not result.degraded and result.reasons == ["only 10 scored days, need 20"]
    assert not check_degradation(new.iloc[:0], "rv_1d", 1).degraded


def test_overlapping_targets_need_more_evidence() -> None:
    rows = scores(60, 0.2, 0.75)
    assert check_degradation(rows, "rv_1d", 1, DegradationRule()).degraded
    assert not check_degradation(
        rows, "rv_1d", 22
    ).degraded  # 120 rows of 22-day targets: ~5 independent ones


def test_with_nothing_scored_yet_no_champion_version_is_named() -> None:
    result = check_degradation(scores(60, 0.2, 0.9), "rv_5d", 5)  # scores of another target only
    assert result.champion == "no champion scored yet" and not result.degraded
    assert check_degradation(scores(60, 0.2, 0.9), "rv_1d", 1).champion == "har v3"
