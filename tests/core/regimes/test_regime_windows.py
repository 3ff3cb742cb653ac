"""Regimes per walk-forward window: fitted on the days before the window, filtered through it; a volatility shift
shows as the high regime; later days change nothing; a window without enough past is named."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from forge_core.data.synthetic import RegimeShift, SyntheticSource
from forge_core.date_window import DateWindow, monthly_windows
from forge_core.features.reference import compute_daily_features
from forge_core.regimes.regime_windows import (
    MODEL_COLUMNS,
    POOL_MIN_FITS,
    REGIME_COLUMNS,
    day_regimes,
    models_by_window,
    window_regimes,
)

WINDOWS = monthly_windows(dt.date(2018, 5, 1), dt.date(2018, 7, 31))


def features(shift: dt.date = dt.date(2018, 6, 1)) -> pd.DataFrame:
    source = SyntheticSource(
        2, seed=4, start=dt.date(2012, 1, 2), today=dt.date(2018, 12, 31), shift=RegimeShift(shift, 3.0)
    )
    bars = source.load(dt.date(2012, 1, 2), dt.date(2018, 12, 31))
    return compute_daily_features(bars[bars["symbol"] != "^VIX"])[["symbol", "date", "log_parkinson_w"]]


def test_a_shift_shows_as_the_high_regime_and_later_days_change_nothing() -> None:
    frame = features()
    regimes = window_regimes(frame, WINDOWS, fit_days=1000).probabilities
    assert list(regimes.columns) == REGIME_COLUMNS
    assert set(regimes["window_start"]) == {w.start for w in WINDOWS}
    high = regimes[regimes["regime"] == 1]
    may, july = (high.loc[high["date"].dt.month == m, "probability"].mean() for m in (5, 7))
    assert (
        july > 0.75 and july > may + 0.25
    )  # tripled volatility is the high regime, whatever May's swings were
    sums = regimes.groupby(["symbol", "date"])["probability"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)

    changed = frame.copy()
    changed.loc[changed["date"] >= "2018-06-01", "log_parkinson_w"] -= 2.0
    may = window_regimes(changed, WINDOWS[:1], fit_days=1000).probabilities
    pd.testing.assert_frame_equal(
        may.reset_index(drop=True),
        regimes[regimes["window_start"] == WINDOWS[0].start].reset_index(drop=True),
    )


def test_a_live_day_gets_what_its_window_will_hold() -> None:
    """A live day of July, filtered before July completes (only the days up to it exist), with the model fitted at
    July's start or reused from ``regime_models``, equals the July window's rows once the month is complete."""
    frame = features()
    july = window_regimes(frame, WINDOWS[2:], fit_days=1000)
    assert list(july.models.columns) == MODEL_COLUMNS and len(july.models) == 2
    day = dt.date(2018, 7, 17)
    so_far = frame[frame["date"] <= pd.Timestamp(day)]
    fitted = day_regimes(so_far, [day], fit_days=1000)
    reused = day_regimes(so_far, [day], fit_days=1000, known=models_by_window(july.models))
    expected = july.probabilities[july.probabilities["date"] == pd.Timestamp(day)].reset_index(drop=True)
    for live in (fitted, reused):
        pd.testing.assert_frame_equal(live.probabilities, expected)
    pd.testing.assert_frame_equal(fitted.models, july.models)
    assert reused.models.empty  # nothing fitted: the stored model served


def test_a_window_without_enough_past_is_skipped_and_named_while_the_others_go_on() -> None:
    frame = features()
    newcomer = frame[frame["date"] >= "2015-01-02"].assign(symbol="NEW")  # listed a month before the window
    result = window_regimes(
        pd.concat([frame, newcomer]), [DateWindow(dt.date(2015, 2, 1), dt.date(2015, 3, 1))]
    )
    assert set(result.skipped) == {"NEW before 2015-02-01"}
    assert re.fullmatch(
        r"\d+ rows, a 2-regime model needs at least \d+", result.skipped["NEW before 2015-02-01"]
    )
    assert set(result.probabilities["symbol"]) == set(frame["symbol"]) - {"NEW"}
    assert "NEW" not in set(result.models["symbol"])


def test_fits_on_a_process_pool_equal_those_made_in_process() -> None:
    """Enough fits per worker go to spawned processes; each fit is seeded, so the models and probabilities are
    the same as one process makes."""
    frame = features()
    windows = monthly_windows(dt.date(2018, 1, 1), dt.date(2018, 8, 31))  # 2 symbols x 8 windows: 16 fits
    assert len(windows) * 2 >= POOL_MIN_FITS * 2
    alone, pooled = (window_regimes(frame, windows, fit_days=1000, workers=n) for n in (1, 2))
    pd.testing.assert_frame_equal(pooled.probabilities, alone.probabilities)
    pd.testing.assert_frame_equal(pooled.models, alone.models)
    assert pooled.skipped == alone.skipped and len(alone.models) == 16
