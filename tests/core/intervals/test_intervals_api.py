"""``calibrate``'s input checks and the ``Intervals`` result's summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.intervals import (
    INTERVAL_METHODS,
    Intervals,
    PidParams,
    SplitParams,
    calibrate,
    method_class,
)
from tests.core.intervals.synthetic_scores import forecast_and_realised


@pytest.fixture
def pair() -> tuple[pd.Series, pd.Series]:
    return forecast_and_realised(60, seed=3)


def test_a_non_positive_or_missing_forecast_is_refused_naming_the_day(
    pair: tuple[pd.Series, pd.Series],
) -> None:
    forecast, realised = pair
    for bad in (0.0, -1e-4, np.nan, np.inf):
        broken = forecast.copy()
        broken.iloc[17] = bad
        with pytest.raises(ValueError, match=f"forecast variance .* on 2001-01-2\\d 00:00:00 it is {bad}"):
            calibrate(broken, realised, 1)


def test_a_non_positive_realisation_is_refused_but_an_unknown_one_is_not(
    pair: tuple[pd.Series, pd.Series],
) -> None:
    forecast, realised = pair
    broken = realised.copy()
    broken.iloc[30] = 0.0
    with pytest.raises(ValueError, match=f"realised variance .* on {forecast.index[30]} it is 0.0"):
        calibrate(forecast, broken, 1)
    unknown = realised.copy()
    unknown.iloc[[5, 30, -1]] = np.nan
    assert len(calibrate(forecast, unknown, 1, min_scores=10)) == 60 - 11


def test_a_misaligned_or_unsorted_index_is_refused(pair: tuple[pd.Series, pd.Series]) -> None:
    forecast, realised = pair
    with pytest.raises(ValueError, match=f"forecast's index; they differ \\(first at {forecast.index[0]}\\)"):
        calibrate(forecast, realised.shift(1, freq="B"), 1)
    with pytest.raises(ValueError, match="lengths 60 and 59"):
        calibrate(forecast, realised.iloc[:-1], 1)
    swapped = forecast.index[[0, 2, 1, *range(3, 60)]]
    with pytest.raises(ValueError, match=f"day {forecast.index[1]} follows {forecast.index[2]}"):
        calibrate(forecast.set_axis(swapped), realised.set_axis(swapped), 1)


def test_bad_settings_are_refused(pair: tuple[pd.Series, pd.Series]) -> None:
    forecast, realised = pair
    with pytest.raises(ValueError, match="horizon and min_scores must be >= 1"):
        calibrate(forecast, realised, 0)
    with pytest.raises(ValueError, match="levels must be strictly increasing"):
        calibrate(forecast, realised, 1, levels=(0.9, 0.5))
    with pytest.raises(ValueError, match="unknown interval method 'conformal'"):
        calibrate(forecast, realised, 1, "conformal")
    with pytest.raises(TypeError, match="split takes SplitParams, got PidParams"):
        calibrate(forecast, realised, 1, "split", params=PidParams())
    for make in (lambda: SplitParams(0), lambda: PidParams(window=3), lambda: PidParams(eta=-1),
                 lambda: PidParams(csat=0), lambda: PidParams(prior=-1)):  # fmt: skip
        with pytest.raises(ValueError):
            make()


def test_the_registry_names_every_method_with_default_params() -> None:
    assert list(INTERVAL_METHODS) == ["split", "pid"]
    for name, cls in INTERVAL_METHODS.items():
        assert method_class(name) is cls and cls.name == name and cls.description
        cls.Params()  # every field has a default


def hand_made() -> tuple[Intervals, pd.Series]:
    days = pd.bdate_range("2020-01-01", periods=4)
    realised = pd.Series([1.0, 4.0, np.nan, 0.5], index=days)
    columns = pd.Index([0.5, 0.9], name="level")
    intervals = Intervals(
        method="split",
        horizon=1,
        levels=(0.5, 0.9),
        forecast=pd.Series(1.0, index=days),
        log_point=np.log(pd.Series([1.1, 1.1, 1.3, 1.1], index=days)),
        log_lower=np.log(pd.DataFrame([[0.8, 0.5]] * 4, index=days, columns=columns)),
        log_upper=np.log(pd.DataFrame([[1.25, 2.0]] * 4, index=days, columns=columns)),
        realised_scores=pd.Series([3, 4, 5, 5], index=days),
        warmup_days=3,
    )
    return intervals, realised


def test_summaries_match_a_hand_computation() -> None:
    intervals, realised = hand_made()
    # known days: y = 1 (inside both), 4 (outside both, 1.386 above 0.9's top), 0.5 (outside 0.5's, on 0.9's edge)
    pd.testing.assert_series_equal(
        intervals.coverage(realised),
        pd.Series([1 / 3, 2 / 3], index=intervals.lower.columns, name="coverage"),
    )
    np.testing.assert_allclose(intervals.width(), [np.log(1.25 / 0.8), np.log(4.0)])
    np.testing.assert_allclose(intervals.width(relative=True), [0.45, 1.5])
    below_50, above_50, above_90 = np.log(0.8 / 0.5), np.log(4 / 1.25), np.log(4 / 2)
    np.testing.assert_allclose(
        intervals.winkler(realised),
        [np.log(1.25 / 0.8) + 4 * (below_50 + above_50) / 3, np.log(4.0) + 20 * above_90 / 3],
    )
    with pytest.raises(ValueError, match="no realised value on any of the 4 days"):
        intervals.coverage(realised * np.nan)


def test_to_frame_is_long_and_between_selects_days() -> None:
    intervals, _ = hand_made()
    frame = intervals.to_frame()
    assert list(frame.columns) == ["date", "method", "level", "forecast", "point", "skewed", "lower", "upper"]
    assert (
        len(frame) == 8 and list(frame["level"][:2]) == [0.5, 0.9] and list(frame["upper"][:2]) == [1.25, 2.0]
    )
    # the third day's point, 1.3, lies above its 50% band [0.8, 1.25]: flagged on both of its rows
    assert list(frame["skewed"]) == [False] * 4 + [True] * 2 + [False] * 2
    middle = intervals.between(intervals.forecast.index[1], intervals.forecast.index[2])
    assert len(middle) == 2 and list(middle.realised_scores) == [4, 5]


def test_calibrated_intervals_carry_the_forecast_and_the_warm_up(pair: tuple[pd.Series, pd.Series]) -> None:
    forecast, realised = pair
    intervals = calibrate(forecast, realised, 2, "pid", levels=(0.8,), min_scores=20)
    assert (intervals.method, intervals.horizon, intervals.levels, intervals.warmup_days) == (
        "pid",
        2,
        (0.8,),
        21,
    )
    pd.testing.assert_series_equal(intervals.forecast, forecast.iloc[21:])
    assert set(intervals.to_frame()["method"]) == {"pid"}
