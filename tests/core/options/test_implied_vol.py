"""Implied volatility: prices round-trip to their volatility within 1e-8 across moneyness and maturity, deep in and
out of the money, wherever the price carries the digits; the solver agrees with Let's Be Rational; quotes without a
solution are flagged, never dropped."""

from __future__ import annotations

import numpy as np
import py_lets_be_rational as lbr

from forge_core.options.implied_vol import IvFlag, black_price, implied_vol

MONEYNESS = np.exp(np.linspace(-3.0, 3.0, 61))  # K / F from 0.05 to 20
MATURITIES = np.array([1 / 365, 7 / 365, 30 / 365, 0.25, 1.0, 3.0, 10.0])
VOLS = np.array([0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0])


def grid() -> tuple[np.ndarray, ...]:
    k, t, v, c = np.meshgrid(MONEYNESS, MATURITIES, VOLS, [True, False], indexing="ij")
    return np.ones_like(k), k.ravel(), t.ravel(), v.ravel(), c.ravel()


def test_prices_round_trip_to_their_volatility_wherever_the_price_carries_it() -> None:
    f, k, t, v, call = grid()
    f = f.ravel()
    price = black_price(f, k, t, v, call, discount=0.97)
    result = implied_vol(price, f, k, t, call, discount=0.97)
    intrinsic = 0.97 * np.maximum(np.where(call, f - k, k - f), 0.0)
    time_value = price - intrinsic
    # the price holds the volatility's digits: a normal (not subnormal) time value, at least 1e-6 of the price
    carried = (time_value / 0.97 / np.sqrt(f * k) > 1e-290) & (time_value >= 1e-6 * price)
    assert carried.sum() > 0.45 * len(price)  # the rest: wings of one-day options, far past any double
    assert result.solved[carried].all()
    assert np.abs(result.vol[carried] / v[carried] - 1).max() < 1e-8
    deep_otm = carried & (np.where(call, k / f, f / k) >= np.exp(2.5))
    deep_itm = carried & (np.where(call, f / k, k / f) >= np.exp(2.5))
    assert deep_otm.sum() >= 20 and deep_itm.sum() >= 10  # both wings are in what round-trips
    # what does not carry it is flagged (no time value left, or none at all), or solved to the digits it has
    lost = ~carried & ~result.solved
    assert set(np.unique(result.flag[lost])) <= {IvFlag.BELOW_INTRINSIC, IvFlag.NO_TIME_VALUE}


def test_the_solver_agrees_with_lets_be_rational() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    f = np.full(n, 100.0)
    k = 100 * np.exp(rng.normal(0, 0.4, n))
    t = rng.uniform(0.01, 3, n)
    v = rng.uniform(0.05, 1.2, n)
    call = rng.random(n) < 0.5
    price = black_price(f, k, t, v, call)
    ours = implied_vol(price, f, k, t, call)

    def reference(p: float, kk: float, tt: float, c: bool) -> float:
        try:
            return float(
                lbr.implied_volatility_from_a_transformed_rational_guess(p, 100.0, kk, tt, 1 if c else -1)
            )
        except (lbr.exceptions.BelowIntrinsicException, lbr.exceptions.AboveMaximumException):
            return float("nan")  # Let's Be Rational refuses it too

    theirs = np.array([reference(*quote) for quote in zip(price, k, t, call, strict=True)])
    both = ours.solved & np.isfinite(theirs) & (theirs > 0) & (theirs < 1e3)
    assert both.mean() > 0.98
    time_value = price - np.maximum(np.where(call, f - k, k - f), 0.0)
    carried = both & (time_value >= 1e-6 * price)
    assert np.abs(ours.vol[carried] / theirs[carried] - 1).max() < 1e-10
    # deep in the money, where the time value is ~1e-11 of the price, both lose digits; ours no more than theirs
    assert np.abs(ours.vol[both] / v[both] - 1).max() <= np.abs(theirs[both] / v[both] - 1).max()


def test_quotes_without_a_solution_are_flagged_not_dropped() -> None:
    f = np.full(7, 100.0)
    k = np.array([90.0, 90.0, 110.0, 100.0, 100.0, -5.0, 100.0])
    t = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0])
    call = np.array([True, True, True, True, False, True, True])
    price = np.array(
        [9.0, 150.0, 0.0, np.nan, 4.0, 1.0, 1.0]
    )  # below intrinsic, above the forward, zero, NaN
    result = implied_vol(price, f, k, t, call)
    assert len(result.vol) == 7 and list(result.flag) == [
        IvFlag.BELOW_INTRINSIC,
        IvFlag.ABOVE_BOUND,
        IvFlag.BELOW_INTRINSIC,
        IvFlag.BAD_INPUT,
        IvFlag.OK,
        IvFlag.BAD_INPUT,
        IvFlag.BAD_INPUT,
    ]
    assert np.isnan(result.vol[~result.solved]).all() and result.counts()["bad_input"] == 3


def test_a_call_and_a_put_at_one_strike_have_one_volatility() -> None:
    k = np.linspace(60.0, 160.0, 41)
    call = black_price(100.0, k, 0.75, 0.3, np.ones(41, dtype=bool))
    put = black_price(100.0, k, 0.75, 0.3, np.zeros(41, dtype=bool))
    np.testing.assert_allclose(call - put, 100.0 - k, atol=1e-12)  # parity
    from_calls = implied_vol(call, 100.0, k, 0.75, True).vol
    from_puts = implied_vol(put, 100.0, k, 0.75, False).vol
    np.testing.assert_allclose(from_calls, 0.3, rtol=1e-9)
    np.testing.assert_allclose(from_puts, 0.3, rtol=1e-9)
