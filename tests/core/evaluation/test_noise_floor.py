"""Monte Carlo QLIKE noise floor of variance proxies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forge_core.evaluation import NOISE_FLOOR_PROXIES, gaussian_sq_return_floor, qlike_noise_floor
from forge_core.features.daily import PROXIES


def test_every_warehouse_proxy_has_a_floor() -> None:
    assert set(NOISE_FLOOR_PROXIES) == set(PROXIES)


def test_exact_squared_return_floor() -> None:
    # y/f ~ χ²(1): E[z² - log z² - 1] = -E[log χ²_1] = log 2 + γ.
    assert gaussian_sq_return_floor(1) == pytest.approx(math.log(2.0) + np.euler_gamma, rel=1e-12)


@pytest.mark.parametrize("horizon", [1, 5])
def test_monte_carlo_reproduces_the_chi_square_anchor(horizon: int) -> None:
    floor = qlike_noise_floor("sq_return", horizon, n_days=40_000, seed=11)
    assert abs(floor.expected_qlike - gaussian_sq_return_floor(horizon)) < 4 * floor.standard_error
    assert floor.standard_error < 0.01
    assert (floor.proxy, floor.horizon) == ("sq_return", horizon)
    assert floor.method.startswith("monte carlo")


def test_the_range_is_far_less_noisy_than_squared_returns() -> None:
    parkinson = qlike_noise_floor("parkinson", 1, n_days=20_000).expected_qlike
    assert parkinson < 0.25 * qlike_noise_floor("sq_return", 1, n_days=20_000).expected_qlike


@pytest.mark.parametrize("proxy", NOISE_FLOOR_PROXIES)
def test_the_floor_shrinks_with_the_horizon(proxy: str) -> None:
    floors = [qlike_noise_floor(proxy, h, n_days=22_000, steps=78).expected_qlike for h in (1, 5, 22)]
    assert floors[0] > floors[1] > floors[2] > 0.0


def test_deterministic_for_a_seed() -> None:
    assert qlike_noise_floor("garman_klass", 5, n_days=5_000, seed=3) == qlike_noise_floor(
        "garman_klass", 5, n_days=5_000, seed=3
    )


def test_zero_rogers_satchell_days_are_excluded_and_reported() -> None:
    floor = qlike_noise_floor("rogers_satchell", 1, n_days=5_000, steps=10)
    assert "with a zero proxy excluded" in floor.method
    assert math.isfinite(floor.expected_qlike)


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="unknown proxy 'vix'"):
        qlike_noise_floor("vix", 1)
    with pytest.raises(ValueError, match="fewer than two 22-day windows"):
        qlike_noise_floor("parkinson", 22, n_days=30)
