"""MemberPanel validation and the visible history (the delay rule's arrays)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.ensembles import MemberPanel, PanelArrays
from tests.core.ensembles._panels import synthetic_panel


def long_rows(panel: MemberPanel) -> pd.DataFrame:
    frame = (
        panel.forecasts.rename_axis("date")
        .reset_index()
        .melt("date", var_name="model", value_name="forecast")
    )
    return frame.merge(panel.realised.rename("realised"), left_on="date", right_index=True)


def test_nan_forecasts_name_the_members_and_first_missing_days() -> None:
    panel = synthetic_panel(30, 3)
    forecasts = panel.forecasts.copy()
    forecasts.iloc[[4, 5, 6, 7], 1] = np.nan
    forecasts.iloc[9, 2] = np.nan
    with pytest.raises(
        ValueError, match=r"missing: m1 on 2010-01-08, 2010-01-11, 2010-01-12 \(\+1 more\); m2 on"
    ):
        MemberPanel(forecasts, panel.realised, 1)


def test_members_on_different_days_are_refused() -> None:
    rows = long_rows(synthetic_panel(30, 3))
    rows = rows[~((rows["model"] == "m0") & (rows["date"] == pd.Timestamp("2010-01-05")))]
    with pytest.raises(ValueError, match="missing: m0 on 2010-01-05"):
        MemberPanel.from_long(rows, 1)


def test_from_long_round_trips() -> None:
    panel = synthetic_panel(30, 3, horizon=5)
    again = MemberPanel.from_long(long_rows(panel), 5)
    pd.testing.assert_frame_equal(again.forecasts, panel.forecasts, check_freq=False, check_names=False)
    np.testing.assert_array_equal(again.realised.to_numpy(), panel.realised.to_numpy())


def test_bad_values_are_refused() -> None:
    panel = synthetic_panel(30, 3)
    f, y = panel.forecasts, panel.realised
    zero = f.copy()
    zero.iloc[3, 0] = 0.0
    negative = y.copy()
    negative.iloc[3] = -1.0
    for forecasts, realised, message in [
        (zero, y, "m0 forecast on 2010-01-07 is 0.0; must be finite and > 0"),
        (f, negative, "realised on 2010-01-07 is -1.0; must be >= 0 or NaN"),
        (f, y.iloc[1:], "same index"),
        (f.iloc[::-1], y.iloc[::-1], "strictly increasing"),
    ]:
        with pytest.raises(ValueError, match=message):
            MemberPanel(forecasts, realised, 1)


def test_horizon_and_context_are_checked() -> None:
    panel = synthetic_panel(30, 3, context=True)
    with pytest.raises(ValueError, match="horizon"):
        MemberPanel(panel.forecasts, panel.realised, 0)
    assert panel.context is not None
    bad = panel.context.copy()
    bad.iloc[2, 1] = np.nan
    with pytest.raises(ValueError, match="context column c1 on 2010-01-06"):
        MemberPanel(panel.forecasts, panel.realised, 1, bad)


@pytest.mark.parametrize("horizon", [1, 5, 22])
def test_visible_history_ends_realised_values_h_rows_back(horizon: int) -> None:
    panel = synthetic_panel(100, 3, horizon=horizon, context=True)
    arrays = PanelArrays.of(panel)
    for t in (0, horizon - 1, horizon, 50):
        seen = arrays.visible(t)
        assert seen.forecasts.shape == (t + 1, 3) and seen.context is not None and len(seen.context) == t + 1
        assert len(seen.realised) == len(seen.losses) == max(t - horizon + 1, 0)
        assert seen.scored_rows.tolist() == list(range(max(t - horizon + 1, 0)))
        with pytest.raises(ValueError, match="read-only"):
            seen.forecasts[0, 0] = 1.0
