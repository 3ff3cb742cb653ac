"""A seeded synthetic daily market: correlated stochastic-volatility assets with leverage, jumps and a VIX.

Model, per symbol with market loading ``b`` and trading day ``t`` (``z, x, e, v, a`` iid N(0, 1)):

    market log-variance   h^m_t = mu + phi (h^m_{t-1} - mu) + sigma w_t
    asset log-variance    h_t   = mu + phi (h_{t-1} - mu) + sigma eta_t
    variance shocks       w_t = rho z_{t-1} + sqrt(1 - rho^2) x_t,   eta_t = b w_t + sqrt(1 - b^2) u_t,
                          u_t = rho e_{t-1} + sqrt(1 - rho^2) v_t
    return shock          eps_t = b z_t + sqrt(1 - b^2) e_t
    log return            r_t = drift + exp(h_t / 2) eps_t + J_t

so corr(eps_t, eta_{t+1}) = rho (leverage: falling prices raise tomorrow's variance), corr(eps_i, eps_j) =
b_i b_j, and J_t is compound Poisson (N_t ~ Poisson(lambda) jumps, each N(jump_mean, jump_sd^2)).
With overnight share ``s``, split eps into ``eps_on = sqrt(s) eps + sqrt(1 - s) a`` and
``eps_id = sqrt(1 - s) eps - sqrt(s) a`` (independent N(0, 1), ``sqrt(s) eps_on + sqrt(1 - s) eps_id = eps``):

    open_t  = close_{t-1} exp(s drift + sqrt(s) exp(h_t / 2) eps_on + J_t)
    close_t = open_t exp(c),   c = (1 - s) drift + sqrt(1 - s) exp(h_t / 2) eps_id

High and low are the extremes of a Brownian bridge from 0 to ``c`` with variance ``q = (1 - s) exp(h_t)``
(U1, U2 iid uniform on (0, 1]):

    ln(high / open) = (c + sqrt(c^2 - 2 q ln U1)) / 2,   ln(low / open) = (c - sqrt(c^2 - 2 q ln U2)) / 2

Log-volume is ``base + y_t`` with ``y_t = psi y_{t-1} + noise xi_t + k (|r_t| / exp(mu / 2) - sqrt(2 / pi))``.
``^VIX`` is ``100 * premium * sqrt(252 * mean_{k=1..22} E[exp(h^m_{t+k}) | h^m_t] + 252 lambda E[J^2])``.

A regime shift (``RegimeShift``, off by default) raises the long-run log-variance of every asset and of the market
by ``delta`` from day ``on``: ``mu_t = mu + delta 1{t >= on}``, so the variance jumps by ``exp(delta)`` that day and
stays there (the deviations ``h - mu`` carry on; the VIX follows ``mu_t``; log-volume reacts to ``|r_t|`` scaled by
the unshifted level, so its level rises with the shift and stays higher).

Every state starts at its long-run level on ``start``. Random numbers are drawn in blocks per (seed, symbol,
calendar year), so a row depends on the seed, start, params, shift, symbol and date only, never on the requested
range or the number of symbols.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from forge_core.data.schema import CANONICAL_COLUMNS, VIX_SYMBOLS
from forge_core.settings import SYNTHETIC_START
from forge_core.units import TRADING_DAYS_PER_YEAR

VIX_SYMBOL = "^VIX"
assert VIX_SYMBOL in VIX_SYMBOLS

DEFAULT_START = SYNTHETIC_START.default  # the first trading day unless told (FORGE_SYNTHETIC_START)
VIX_HORIZON_DAYS = 22
_MARKET_STREAM = 2**31 - 1  # the symbol index of the market factor's random stream
_CONSTANTS_YEAR = 0  # the "year" of each symbol's constants (loading, start price, volume level)
_START_PRICE = 100.0
_START_PRICE_DISPERSION = 0.25  # sd of the log start price around _START_PRICE
_VOLUME_LEVEL_DISPERSION = 0.5  # sd of each symbol's log base volume around log(volume_level)


@dataclass(frozen=True)
class SyntheticMarketParams:
    """Parameters of the synthetic market, equity-index-like by default (see the module docstring).

    mean_log_variance: long-run daily log-variance ``mu`` (a median daily volatility of 1.1%).
    persistence: AR(1) coefficient ``phi`` of the log-variance.
    vol_of_vol: sd ``sigma`` of the daily log-variance shocks.
    leverage: ``rho = corr(eps_t, eta_{t+1})``, negative for equities.
    loading_low, loading_high: range of the symbols' market loadings ``b`` (drawn uniformly per symbol).
    jump_intensity: expected jumps per day; jump_mean, jump_sd: jump size (log return) distribution.
    overnight_share: fraction ``s`` of the diffusive daily variance that happens overnight.
    annual_drift: expected log return per year (``drift`` is this / 252).
    volume_level: typical shares traded per day; volume_persistence: ``psi``; volume_noise: sd of ``xi``
    shocks; volume_return_loading: ``k``, how strongly log-volume rises with ``|r_t|``.
    vix_premium: variance-risk-premium factor on the VIX level.
    """

    mean_log_variance: float = 2.0 * math.log(0.011)
    persistence: float = 0.98
    vol_of_vol: float = 0.15
    leverage: float = -0.6
    loading_low: float = 0.4
    loading_high: float = 0.8
    jump_intensity: float = 0.01
    jump_mean: float = -0.01
    jump_sd: float = 0.03
    overnight_share: float = 0.2
    annual_drift: float = 0.06
    volume_level: float = 1e6
    volume_persistence: float = 0.7
    volume_noise: float = 0.25
    volume_return_loading: float = 0.2
    vix_premium: float = 1.1

    def __post_init__(self) -> None:
        checks = {
            "persistence must be in (-1, 1)": -1.0 < self.persistence < 1.0,
            "leverage must be in [-1, 1]": -1.0 <= self.leverage <= 1.0,
            "loadings must satisfy 0 <= loading_low <= loading_high <= 1": (
                0.0 <= self.loading_low <= self.loading_high <= 1.0
            ),
            "overnight_share must be in [0, 1]": 0.0 <= self.overnight_share <= 1.0,
            "vol_of_vol, jump_intensity and jump_sd must be >= 0": (
                min(self.vol_of_vol, self.jump_intensity, self.jump_sd) >= 0.0
            ),
            "volume_level and vix_premium must be > 0": min(self.volume_level, self.vix_premium) > 0.0,
        }
        failed = [message for message, ok in checks.items() if not ok]
        if failed:
            raise ValueError("invalid SyntheticMarketParams: " + "; ".join(failed))


@dataclass(frozen=True)
class RegimeShift:
    """From day ``on`` the long-run volatility of every asset and the market is ``volatility_ratio`` times what it
    was: ``delta = 2 log(volatility_ratio)`` on the log-variance."""

    on: datetime.date
    volatility_ratio: float = 2.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.volatility_ratio) and self.volatility_ratio > 0.0):
            raise ValueError(
                f"a regime shift's volatility_ratio must be finite and > 0, got {self.volatility_ratio}"
            )

    @property
    def log_variance(self) -> float:
        return 2.0 * math.log(self.volatility_ratio)

    @classmethod
    def parse(cls, text: str) -> RegimeShift:
        """``YYYY-MM-DD`` (volatility doubles that day) or ``YYYY-MM-DD*ratio``; ValueError naming the text."""
        day, star, ratio = text.partition("*")
        try:
            return cls(datetime.date.fromisoformat(day.strip()), float(ratio) if star else 2.0)
        except ValueError as error:
            raise ValueError(
                f"regime shift {text!r}: expected YYYY-MM-DD or YYYY-MM-DD*ratio ({error})"
            ) from None


def trading_days(start: datetime.date, end: datetime.date) -> pd.DatetimeIndex:
    """The weekdays (Monday to Friday) from ``start`` to ``end`` inclusive."""
    return pd.bdate_range(start, end, freq="B").astype("datetime64[ns]")


class _Shocks(NamedTuple):
    """One block of random numbers: market streams shaped (days,), symbol streams (days, symbols)."""

    z: np.ndarray  # market return shock
    x: np.ndarray  # market log-variance innovation
    e: np.ndarray  # idiosyncratic return shock
    v: np.ndarray  # idiosyncratic log-variance innovation
    a: np.ndarray  # overnight / intraday split
    jump_size: np.ndarray
    xi: np.ndarray  # volume shock
    u_high: np.ndarray  # uniforms in (0, 1] for the intraday high and low
    u_low: np.ndarray
    jump_count: np.ndarray

    def rows(self, lo: int, hi: int) -> _Shocks:
        return _Shocks(*(stream[lo:hi] for stream in self))


@dataclass(frozen=True)
class _SymbolConstants:
    """What stays fixed per symbol (``SyntheticSource._symbol_constants``).

    Attributes
    ----------
    loading : np.ndarray
        Each symbol's market loading ``b``.
    log_start_price : np.ndarray
        Its log price before the first day.
    log_volume_base : np.ndarray
        Its log base volume.
    """

    loading: np.ndarray
    log_start_price: np.ndarray
    log_volume_base: np.ndarray


@dataclass(frozen=True)
class _Simulated:
    """The simulation over a range of days (``SyntheticSource._simulate_range``).

    Attributes
    ----------
    dates : np.ndarray
        The weekdays, datetime64[ns].
    block : _Block
        Their simulated values.
    long_run : np.ndarray
        Their long-run log-variance ``mu_t``.
    """

    dates: np.ndarray
    block: _Block
    long_run: np.ndarray


@dataclass
class _State:
    """The recursions' values on the last simulated day (the start state before the first one)."""

    market_h: np.ndarray  # shape (), h^m - mu
    h: np.ndarray  # h - mu per symbol
    z: np.ndarray  # shape (), last market return shock
    e: np.ndarray  # last idiosyncratic return shocks
    volume: np.ndarray  # y per symbol
    log_close: np.ndarray


class _Block(NamedTuple):
    """Simulated log prices, log-volume, log-variance and VIX level for consecutive days, shaped (days, symbols)."""

    log_open: np.ndarray
    log_high: np.ndarray
    log_low: np.ndarray
    log_close: np.ndarray
    log_volume: np.ndarray
    log_variance: np.ndarray  # mu_t + h_t: the day's diffusive log-variance
    vix: np.ndarray  # (days,)


class VarianceStates(NamedTuple):
    """What the market's option prices are set from: per trading day, the symbols' closes (days, symbols), their
    diffusive log-variance ``mu_t + h_t`` and the long-run level ``mu_t`` (days,)."""

    dates: np.ndarray
    symbols: list[str]
    close: np.ndarray
    log_variance: np.ndarray
    long_run: np.ndarray


def _ar1(previous: np.ndarray, phi: float, innovations: np.ndarray) -> np.ndarray:
    """``y_t = phi y_{t-1} + innovations_t`` along the first axis, starting from ``y_{-1} = previous``."""
    out = np.empty_like(innovations)
    for t in range(len(innovations)):
        previous = phi * previous + innovations[t]
        out[t] = previous
    return out


def _lagged(previous: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` shifted one day later along the first axis, with ``previous`` as the first day."""
    return np.concatenate([previous[np.newaxis], values[:-1]])


class SyntheticSource:
    """Deterministic synthetic OHLCV for ``n_symbols`` symbols (plus ``^VIX``) on weekdays from ``start``."""

    name = "synthetic"

    def __init__(
        self,
        n_symbols: int = 5,
        *,
        seed: int = 7,
        start: datetime.date = DEFAULT_START,
        params: SyntheticMarketParams | None = None,
        include_vix: bool = True,
        today: datetime.date | None = None,
        shift: RegimeShift | None = None,
    ) -> None:
        if n_symbols < 0 or seed < 0:
            raise ValueError("n_symbols and seed must be >= 0")
        self.n_symbols = n_symbols
        self.seed = seed
        self.start = start
        self.params = params or SyntheticMarketParams()
        self.include_vix = include_vix
        self.today = today
        self.shift = shift
        self._constants = self._symbol_constants()

    @property
    def symbols(self) -> list[str]:
        """The traded symbols ``SYN000``, ``SYN001``, ... (``^VIX`` is an indicator, not listed here)."""
        width = max(3, len(str(self.n_symbols - 1)))
        return [f"SYN{i:0{width}d}" for i in range(self.n_symbols)]

    def load(self, start: datetime.date, end: datetime.date) -> pd.DataFrame:
        """Canonical rows for weekdays in [start, end], capped at ``self.start`` and today (inclusive)."""
        simulated = self._simulate_range(start, end)
        return self._frame(simulated.dates, simulated.block)

    def variance_states(self, start: datetime.date, end: datetime.date) -> VarianceStates:
        """The closes and variance states behind ``load(start, end)``'s rows (the option chains' inputs)."""
        simulated = self._simulate_range(start, end)
        block = simulated.block
        return VarianceStates(
            simulated.dates, self.symbols, np.exp(block.log_close), block.log_variance, simulated.long_run
        )

    def _simulate_range(self, start: datetime.date, end: datetime.date) -> _Simulated:
        """The weekdays in [start, end] (capped), their block and long-run log-variance; the simulation always runs
        from ``self.start``, so a day's values never depend on the range asked for."""
        stop = min(end, self.today or datetime.date.today())
        if stop < max(start, self.start):
            empty = np.empty((0, self.n_symbols))
            return _Simulated(np.empty(0, "datetime64[ns]"), _Block(*(empty,) * 6, np.empty(0)), np.empty(0))
        blocks: list[_Block] = []
        dates: list[np.ndarray] = []
        levels: list[np.ndarray] = []
        state = self._start_state()
        for year in range(self.start.year, stop.year + 1):
            days = trading_days(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
            lo = days.searchsorted(pd.Timestamp(max(self.start, datetime.date(year, 1, 1))))
            hi = days.searchsorted(pd.Timestamp(stop), side="right")
            mu = self._mean_log_variance(days[lo:hi])
            block, state = self._simulate(self._shocks(year, len(days)).rows(lo, hi), state, mu)
            blocks.append(block)
            dates.append(days.values[lo:hi])
            levels.append(mu)
        all_dates = np.concatenate(dates)
        first = all_dates.searchsorted(np.datetime64(pd.Timestamp(start), "ns"))
        joined = _Block(*(np.concatenate(parts)[first:] for parts in zip(*blocks, strict=True)))
        return _Simulated(all_dates[first:], joined, np.concatenate(levels)[first:])

    def _mean_log_variance(self, days: pd.DatetimeIndex) -> np.ndarray:
        """The long-run log-variance ``mu_t`` of each day (the params' level, shifted from the shift's day)."""
        mu = np.full(len(days), self.params.mean_log_variance)
        if self.shift is not None:
            mu[days >= pd.Timestamp(self.shift.on)] += self.shift.log_variance
        return mu

    def _symbol_constants(self) -> _SymbolConstants:
        """Each symbol's market loading, log start price and log base volume."""
        p = self.params
        rngs = [
            np.random.default_rng(np.random.SeedSequence([self.seed, i, _CONSTANTS_YEAR]))
            for i in range(self.n_symbols)
        ]
        uniform = np.array([rng.random() for rng in rngs])
        normal = np.array([rng.standard_normal(2) for rng in rngs]).reshape(self.n_symbols, 2)
        loading = p.loading_low + (p.loading_high - p.loading_low) * uniform
        log_price = math.log(_START_PRICE) + _START_PRICE_DISPERSION * normal[:, 0]
        log_volume = math.log(p.volume_level) + _VOLUME_LEVEL_DISPERSION * normal[:, 1]
        return _SymbolConstants(loading, log_price, log_volume)

    def _start_state(self) -> _State:
        zeros = np.zeros(self.n_symbols)
        return _State(np.zeros(()), zeros, np.zeros(()), zeros, zeros, self._constants.log_start_price)

    def _shocks(self, year: int, n_days: int) -> _Shocks:
        """The random numbers of every weekday of ``year`` (market stream and one stream per symbol)."""
        market = np.random.default_rng(np.random.SeedSequence([self.seed, _MARKET_STREAM, year]))
        z, x = market.standard_normal((2, n_days))
        normals, uniforms, counts = [], [], []
        for i in range(self.n_symbols):
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, i, year]))
            normals.append(rng.standard_normal((5, n_days)))
            uniforms.append(1.0 - rng.random((2, n_days)))
            counts.append(rng.poisson(self.params.jump_intensity, n_days).astype(float))
        e, v, a, jump_size, xi = np.stack(normals, axis=-1).reshape(5, n_days, self.n_symbols)
        u_high, u_low = np.stack(uniforms, axis=-1).reshape(2, n_days, self.n_symbols)
        count = np.stack(counts, axis=-1).reshape(n_days, self.n_symbols)
        return _Shocks(z, x, e, v, a, jump_size, xi, u_high, u_low, count)

    def _simulate(self, s: _Shocks, state: _State, mu: np.ndarray) -> tuple[_Block, _State]:
        """Run the model over the days of ``s`` (long-run log-variance ``mu`` per day) from ``state``; returns the
        block and the state after it."""
        p = self.params
        if len(s.z) == 0:
            return _Block(*(np.empty((0, self.n_symbols)),) * 6, np.empty(0)), state
        b = self._constants.loading
        rho, idio, share = p.leverage, np.sqrt(1.0 - b**2), p.overnight_share
        w = rho * _lagged(state.z, s.z) + math.sqrt(1.0 - rho**2) * s.x
        u = rho * _lagged(state.e, s.e) + math.sqrt(1.0 - rho**2) * s.v
        market_h = _ar1(state.market_h, p.persistence, p.vol_of_vol * w)
        h = _ar1(state.h, p.persistence, p.vol_of_vol * (b * w[:, np.newaxis] + idio * u))
        eps = b * s.z[:, np.newaxis] + idio * s.e
        sd = np.exp((mu[:, np.newaxis] + h) / 2.0)
        drift = p.annual_drift / TRADING_DAYS_PER_YEAR
        jump = s.jump_count * p.jump_mean + np.sqrt(s.jump_count) * p.jump_sd * s.jump_size
        eps_on = math.sqrt(share) * eps + math.sqrt(1.0 - share) * s.a
        eps_id = math.sqrt(1.0 - share) * eps - math.sqrt(share) * s.a
        overnight = share * drift + math.sqrt(share) * sd * eps_on + jump
        intraday = (1.0 - share) * drift + math.sqrt(1.0 - share) * sd * eps_id
        returns = overnight + intraday
        log_close = state.log_close + np.cumsum(returns, axis=0)
        log_open = log_close - intraday
        bridge = 2.0 * (1.0 - share) * sd**2
        log_high = log_open + (intraday + np.sqrt(intraday**2 - bridge * np.log(s.u_high))) / 2.0
        log_low = log_open + (intraday - np.sqrt(intraday**2 - bridge * np.log(s.u_low))) / 2.0
        surprise = np.abs(returns) / math.exp(p.mean_log_variance / 2.0) - math.sqrt(2.0 / math.pi)
        innovations = p.volume_noise * s.xi + p.volume_return_loading * surprise
        volume = _ar1(state.volume, p.volume_persistence, innovations)
        log_volume = self._constants.log_volume_base + volume
        log_variance = mu[:, np.newaxis] + h
        block = _Block(
            log_open, log_high, log_low, log_close, log_volume, log_variance, self._vix(market_h, mu)
        )
        return block, _State(market_h[-1], h[-1], s.z[-1], s.e[-1], volume[-1], log_close[-1])

    def _vix(self, market_h: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """VIX level from the market log-variance deviations ``h^m - mu`` and the long-run level ``mu`` of each
        day (see the module docstring)."""
        p = self.params
        expected = np.zeros_like(market_h)
        for k in range(1, VIX_HORIZON_DAYS + 1):
            spread = p.vol_of_vol**2 * (1.0 - p.persistence ** (2 * k)) / (1.0 - p.persistence**2)
            expected += np.exp(mu + spread / 2.0 + p.persistence**k * market_h)
        jumps = p.jump_intensity * (p.jump_mean**2 + p.jump_sd**2)
        daily = expected / VIX_HORIZON_DAYS + jumps
        return 100.0 * p.vix_premium * np.sqrt(TRADING_DAYS_PER_YEAR * daily)

    def _frame(self, dates: np.ndarray, block: _Block) -> pd.DataFrame:
        """The canonical frame (sorted by symbol, then date) of a simulated block."""
        prices = {name: np.exp(getattr(block, f"log_{name}")) for name in ("open", "high", "low", "close")}
        prices["high"] = np.maximum(prices["high"], np.maximum(prices["open"], prices["close"]))
        prices["low"] = np.minimum(prices["low"], np.minimum(prices["open"], prices["close"]))
        prices["adj_close"] = prices["close"]
        prices["volume"] = np.maximum(np.rint(np.exp(block.log_volume)), 1.0)
        names = self.symbols
        if self.include_vix:
            names.append(VIX_SYMBOL)
            for column in ("open", "high", "low", "close", "adj_close"):
                prices[column] = np.column_stack([prices[column], block.vix])
            prices["volume"] = np.column_stack([prices["volume"], np.zeros_like(block.vix)])
        order = np.argsort(names, kind="stable")
        columns = {
            "symbol": np.repeat(np.array(names, dtype=object)[order], len(dates)),
            "date": np.tile(dates, len(names)),
            **{column: values[:, order].T.ravel() for column, values in prices.items()},
        }
        return pd.DataFrame(columns)[list(CANONICAL_COLUMNS)]
