"""The delay rule, for every combiner: a day's weights and combined forecast depend only on what was known at its
close. Changing anything later (forecasts and context after t, realised values of rows after t - h, including
those of rows in (t - h, t] whose targets have not realised yet) leaves every day up to t unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.ensembles import (
    COMBINER_REGISTRY,
    Combination,
    Combiner,
    MemberPanel,
    VisibleHistory,
    create_combiner,
)
from forge_core.ensembles.visible_history import FloatArray, IndexArray, PanelArrays
from tests.core.ensembles._panels import FAST_PARAMS, synthetic_panel


def perturbed_after(panel: MemberPanel, t: int, seed: int = 1) -> MemberPanel:
    """``panel`` with forecasts and context of rows > t and realised values of rows > t - h redrawn, the realised
    ones far off (x 1/30 .. x 30, so that even a leak of one row moves the discrete MCS selection) or NaN."""
    rng = np.random.default_rng(seed)
    forecasts = panel.forecasts.copy()
    forecasts.iloc[t + 1 :] *= np.exp(rng.normal(0.0, 0.5, forecasts.iloc[t + 1 :].shape))
    realised = panel.realised.copy()
    later = realised.iloc[t - panel.horizon + 1 :]
    redrawn = later.fillna(1e-4) * 30.0 ** rng.choice([-1.0, 1.0], len(later))
    realised.iloc[t - panel.horizon + 1 :] = np.where(rng.random(len(later)) < 0.2, np.nan, redrawn)
    context = None
    if panel.context is not None:
        context = panel.context.copy()
        context.iloc[t + 1 :] = rng.normal(size=context.iloc[t + 1 :].shape)
    return MemberPanel(forecasts, realised, panel.horizon, context)


def assert_same_through(a: Combination, b: Combination, t: int) -> None:
    np.testing.assert_array_equal(a.weights.to_numpy()[: t + 1], b.weights.to_numpy()[: t + 1])
    np.testing.assert_array_equal(a.variance.to_numpy()[: t + 1], b.variance.to_numpy()[: t + 1])
    np.testing.assert_array_equal(a.fallback.to_numpy()[: t + 1], b.fallback.to_numpy()[: t + 1])
    if a.log_std is not None and b.log_std is not None:
        np.testing.assert_array_equal(a.log_std.to_numpy()[: t + 1], b.log_std.to_numpy()[: t + 1])
    end = a.weights.index[t]
    assert a.refits[a.refits <= end].equals(b.refits[b.refits <= end])


@pytest.mark.parametrize("horizon", [1, 5, 22])
@pytest.mark.parametrize("name", list(COMBINER_REGISTRY))
def test_nothing_after_t_changes_days_up_to_t(name: str, horizon: int) -> None:
    # members of similar quality: learnt weights inside the simplex, MCS sets in doubt, both moved by one row
    panel = synthetic_panel(420, 4, horizon=horizon, seed=2, context=True, spread=0.2)
    month_start = int(
        np.flatnonzero(panel.dates >= pd.Timestamp("2011-01-01"))[0]
    )  # a refit day (position 260)
    combiner = create_combiner(name, **FAST_PARAMS[name])
    full = combiner.combine(panel)
    for t in (month_start - 1, month_start, month_start + 7):
        changed = combiner.combine(perturbed_after(panel, t))
        assert_same_through(full, changed, t)
        assert not np.array_equal(full.variance.to_numpy()[t + 1 :], changed.variance.to_numpy()[t + 1 :])


@pytest.mark.parametrize("horizon", [1, 22])
def test_the_realised_value_of_row_t_minus_h_is_used_at_t(horizon: int) -> None:
    """The rule is no stricter than it must be: online weights at t move with the target realised at t's close."""
    panel = synthetic_panel(300, 3, horizon=horizon, seed=4)
    t = 200
    realised = panel.realised.copy()
    realised.iloc[t - horizon] *= 5.0
    changed = MemberPanel(panel.forecasts, realised, horizon)
    online = create_combiner("online", min_history=40)
    before, after = online.combine(panel), online.combine(changed)
    assert_same_through(before, after, t - 1)
    assert not np.array_equal(before.weights.to_numpy()[t], after.weights.to_numpy()[t])


@pytest.mark.parametrize("name", ["stacking", "meta", "online"])
def test_a_day_does_not_depend_on_which_days_are_asked_for(name: str) -> None:
    panel = synthetic_panel(400, 3, horizon=5, seed=5, context=True)
    combiner = create_combiner(name, **FAST_PARAMS[name])
    full = combiner.combine(panel)
    days = panel.dates[[150, 151, 300]]
    part = combiner.combine(panel, days)
    pd.testing.assert_frame_equal(part.weights, full.weights.loc[days])
    pd.testing.assert_series_equal(part.variance, full.variance.loc[days])


class Spy(Combiner[FloatArray]):
    """Equal weights; records the extent of every history the base hands it (each day's own, when weighing)."""

    name = "spy"
    description = "Equal weights; remembers what it was shown."

    def __init__(self) -> None:
        super().__init__(min_history=1)
        self.seen: list[tuple[str, int, int, int, int]] = []

    def _record(self, kind: str, history: VisibleHistory) -> None:
        self.seen.append((kind, history.t, len(history.forecasts), len(history.realised), history.n_scored))

    def _fit(self, history: VisibleHistory, previous: FloatArray | None) -> FloatArray:
        self._record("fit", history)
        return np.full(len(history.members), 1.0 / len(history.members))

    def _mix_days(
        self, state: FloatArray, arrays: PanelArrays, days: IndexArray
    ) -> tuple[FloatArray, FloatArray]:
        for t in days:
            self._record("mix", arrays.visible(int(t)))
        return np.tile(state, (len(days), 1)), np.full(len(days), np.nan)


@pytest.mark.parametrize("horizon", [1, 22])
def test_a_subclass_only_ever_sees_rows_realised_by_its_day(horizon: int) -> None:
    panel = synthetic_panel(120, 2, horizon=horizon)
    realised = panel.realised.copy()
    realised.iloc[10:20] = np.nan  # never realised: not scored
    spy = Spy()
    spy.combine(MemberPanel(panel.forecasts, realised, horizon))
    assert {kind for kind, *_ in spy.seen} == {"fit", "mix"}
    for _, t, n_forecasts, n_realised, n_scored in spy.seen:
        assert n_forecasts == t + 1
        assert n_realised == max(t - horizon + 1, 0)
        assert n_scored == n_realised - int(np.clip(n_realised - 10, 0, 10))
    first_fit = next(t for kind, t, *_ in spy.seen if kind == "fit")
    assert first_fit == horizon  # the first day with one realised row
