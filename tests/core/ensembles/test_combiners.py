"""What each combiner learns: valid weights everywhere, exact equal weights, stacking recovering known weights,
regime weights that follow the regime, online weights that follow a switch, MCS selection of the best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.ensembles import (
    COMBINER_REGISTRY,
    Combination,
    MemberPanel,
    create_combiner,
    qlike_stacking_weights,
)
from forge_core.ensembles.combiner import UNKNOWN_REGIME
from forge_core.evaluation.losses import qlike
from tests.core.ensembles._panels import (
    FAST_PARAMS,
    make_panel,
    noisy,
    switching_panel,
    synthetic_panel,
    true_variance,
)


def mean_qlike(result: Combination, realised: pd.Series, start: int = 0) -> float:
    known = realised.notna().to_numpy()
    known[:start] = False
    return float(qlike(realised.to_numpy()[known], result.variance.to_numpy()[known]).mean())


@pytest.mark.parametrize("horizon", [1, 22])
@pytest.mark.parametrize("name", list(COMBINER_REGISTRY))
def test_weights_are_on_the_simplex_every_day(name: str, horizon: int) -> None:
    panel = synthetic_panel(400, 5, horizon=horizon, seed=1, context=True)
    result = create_combiner(name, **FAST_PARAMS[name]).combine(panel)
    w = result.weights.to_numpy()
    assert w.shape == (400, 5) and np.isfinite(w).all() and (w >= 0).all()
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert result.variance.index.equals(panel.dates) and (result.variance > 0).all()
    assert result.combiner == name and result.refit_every == COMBINER_REGISTRY[name].refit
    if name.startswith("equal"):
        assert result.fallback_days == 0
    else:  # equal weights until min_history rows have realised: row 39 does at position 39 + h
        assert result.fallback_days == 40 - 1 + horizon
        np.testing.assert_array_equal(w[: result.fallback_days], 0.2)


def test_equal_weights_are_the_arithmetic_and_geometric_means() -> None:
    f = np.array([[1.0, 4.0], [2.0, 8.0], [9.0, 1.0]]) * 1e-4
    panel = make_panel(f, np.full(3, 2e-4))
    arithmetic = create_combiner("equal").combine(panel)
    geometric = create_combiner("equal_log").combine(panel)
    np.testing.assert_array_equal(arithmetic.weights.to_numpy(), 0.5)
    np.testing.assert_allclose(arithmetic.variance.to_numpy(), [2.5e-4, 5e-4, 5e-4], rtol=1e-14)
    np.testing.assert_allclose(geometric.variance.to_numpy(), [2e-4, 4e-4, 3e-4], rtol=1e-14)
    assert geometric.log_std is None


def test_stacking_recovers_known_weights() -> None:
    rng = np.random.default_rng(0)
    n = 800
    f = true_variance(rng, n)[:, None] * np.exp(rng.normal(0.0, 0.4, (n, 3)))
    exact = 0.7 * f[:, 0] + 0.3 * f[:, 1]  # m2 is of no use
    np.testing.assert_allclose(qlike_stacking_weights(f, exact), [0.7, 0.3, 0.0], atol=1e-6)
    mild = exact * rng.gamma(400.0, 1 / 400.0, n)  # 5% multiplicative noise
    result = create_combiner("stacking").combine(make_panel(f, mild))
    np.testing.assert_allclose(result.weights.to_numpy()[-1], [0.7, 0.3, 0.0], atol=0.02)


def test_stacking_solution_is_optimal_among_simplex_points() -> None:
    panel = synthetic_panel(600, 4, seed=3, spread=0.3)
    f, y = panel.forecasts.to_numpy()[:-1], panel.realised.to_numpy()[:-1]
    best = qlike_stacking_weights(f, y)
    objective = lambda w: float(qlike(y, f @ w).mean())  # noqa: E731
    rng = np.random.default_rng(0)
    assert all(objective(best) <= objective(w) + 1e-12 for w in rng.dirichlet(np.ones(4), 500))


def test_regime_weights_follow_the_volatility_regime() -> None:
    """m0 is accurate when variance is high, m1 when it is low."""
    rng = np.random.default_rng(7)
    n = 1200
    v = true_variance(rng, n, persistence=0.995)
    high = v > np.median(v)
    good = v * np.exp(0.05 * rng.normal(size=n))
    poor = v * np.exp(0.3 + 0.5 * rng.normal(size=n))
    panel = make_panel(
        np.column_stack([np.where(high, good, poor), np.where(high, poor, good)]), noisy(rng, v)
    )
    result = create_combiner("regime").combine(panel)
    w0 = result.weights["m0"].to_numpy()
    learnt = ~result.fallback.to_numpy()
    assert w0[learnt & high].mean() > 0.65 and w0[learnt & ~high].mean() < 0.35
    assert mean_qlike(result, panel.realised, 300) < mean_qlike(
        create_combiner("stacking").combine(panel), panel.realised, 300
    )


def test_regime_from_a_context_column() -> None:
    rng = np.random.default_rng(8)
    n = 600
    v = true_variance(rng, n)
    label = (np.arange(n) // 50) % 2  # alternating 50-day regimes, known at each close
    good = v * np.exp(0.05 * rng.normal(size=n))
    poor = v * np.exp(0.3 + 0.5 * rng.normal(size=n))
    forecasts = np.column_stack([np.where(label == 1, good, poor), np.where(label == 1, poor, good)])
    panel = make_panel(forecasts, noisy(rng, v), 1, label[:, None].astype(float))
    result = create_combiner("regime", n_regimes=2, regime_column="c0").combine(panel)
    w0 = result.weights["m0"].to_numpy()[200:]
    assert (w0[label[200:] == 1] > 0.9).all() and (w0[label[200:] == 0] < 0.1).all()
    with pytest.raises(ValueError, match="no column 'vix'"):
        create_combiner("regime", regime_column="vix").combine(panel)


def test_markov_regime_weights_follow_the_turbulent_probability() -> None:
    rng = np.random.default_rng(9)
    n = 600
    v = true_variance(rng, n)
    turbulent = (np.arange(n) // 50) % 2 == 1
    probability = np.where(turbulent, rng.uniform(0.6, 1.0, n), rng.uniform(0.0, 0.4, n))
    probability[:120] = UNKNOWN_REGIME  # no regime rows yet: pooled weights
    good = v * np.exp(0.05 * rng.normal(size=n))
    poor = v * np.exp(0.3 + 0.5 * rng.normal(size=n))
    forecasts = np.column_stack([np.where(turbulent, good, poor), np.where(turbulent, poor, good)])
    panel = make_panel(forecasts, noisy(rng, v), 1, probability[:, None])
    result = create_combiner("markov_regime", regime_column="c0").combine(panel)
    w0 = result.weights["m0"].to_numpy()
    assert (w0[250:][turbulent[250:]] > 0.85).all() and (w0[250:][~turbulent[250:]] < 0.05).all()
    learnt = ~result.fallback.to_numpy()
    pooled = pd.Series(w0[:120][learnt[:120]], index=panel.dates[:120][learnt[:120]])
    assert len(pooled) and (pooled.groupby(pooled.index.to_period("M")).nunique() == 1).all()  # one per fit


def test_online_weights_follow_a_switch_of_the_best_member() -> None:
    panel = switching_panel(800, switch=400)
    w0 = create_combiner("online").combine(panel).weights["m0"].to_numpy()
    assert w0[300:400].min() > 0.9  # m0 best before the switch
    assert w0[460:].max() < 0.1  # m1 best within ~60 days after it
    held = create_combiner("inverse_qlike").combine(panel).weights["m0"].to_numpy()
    assert held[460:520].mean() > w0[460:520].mean() + 0.3  # a trailing year's mean adapts far slower


def test_best_recent_keeps_the_clearly_best_member_only() -> None:
    panel = synthetic_panel(700, 4, seed=9)
    weights = create_combiner("best_recent", reps=100).combine(panel).weights.to_numpy()
    np.testing.assert_array_equal(weights[-1], [1.0, 0.0, 0.0, 0.0])
    twin = panel.forecasts.assign(
        m4=panel.forecasts["m0"]
    )  # identical members are tested once, kept together
    weights = create_combiner("best_recent", reps=100).combine(MemberPanel(twin, panel.realised, 1)).weights
    np.testing.assert_array_equal(weights.to_numpy()[-1], [0.5, 0.0, 0.0, 0.0, 0.5])


def test_refit_calendar_and_minimum_history() -> None:
    panel = synthetic_panel(300, 3)
    monthly = create_combiner("stacking", min_history=30).combine(panel)
    weekly = create_combiner("stacking", min_history=30).combine(panel, refit_every="W")
    assert monthly.refits[0] == panel.dates[30]  # first fit as soon as 30 rows have realised
    assert (monthly.refits[1:].day <= 3).all() and len(weekly.refits) > 3 * len(monthly.refits)
    assert weekly.refit_every == "W"
    with pytest.raises(ValueError, match="pandas period alias"):
        create_combiner("stacking").combine(panel, refit_every="fortnight")
    with pytest.raises(ValueError, match="min_history must be >= 2"):
        create_combiner("best_recent", min_history=1)


def test_registry_and_params() -> None:
    assert set(COMBINER_REGISTRY) == {
        "equal", "equal_log", "inverse_qlike", "stacking", "online", "regime", "markov_regime", "best_recent",
        "meta",
    }  # fmt: skip
    for name, cls in COMBINER_REGISTRY.items():
        assert cls.name == name and cls.description
    with pytest.raises(ValueError, match="unknown combiner 'median'"):
        create_combiner("median")
    with pytest.raises(ValueError, match=r"unknown params \['decay'\]"):
        create_combiner("stacking", decay=0.9)


def test_days_must_belong_to_the_panel() -> None:
    panel = synthetic_panel(50, 2)
    with pytest.raises(ValueError, match="days not in the panel: 2030-01-01"):
        create_combiner("equal").combine(panel, pd.DatetimeIndex(["2030-01-01"]))


@pytest.mark.parametrize("horizon", [1, 5])
def test_online_weights_carried_from_day_to_day_equal_the_direct_sums(horizon: int) -> None:
    panel = synthetic_panel(300, 3, horizon=horizon, seed=4)
    panel.realised.iloc[100:110] = np.nan  # unscored rows are skipped, not counted
    online = create_combiner("online", min_history=20, decay=0.95, eta=0.8)
    weights = online.combine(panel).weights.to_numpy()
    y, f = panel.realised.to_numpy(), panel.forecasts.to_numpy()
    for t in (40, 150, 299):
        rows = np.flatnonzero(np.isfinite(y[: t - horizon + 1]))
        discount = 0.95 ** (t - horizon - rows)
        sums = discount @ np.column_stack([qlike(y[rows], f[rows, k]) for k in range(3)])
        direct = np.exp(-0.8 * (sums - sums.min()) / (sums.mean() / discount.sum()))
        np.testing.assert_allclose(weights[t], direct / direct.sum(), rtol=1e-10)
