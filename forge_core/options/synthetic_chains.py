"""Option chains and quote summaries of the synthetic market, priced from its own variance process.

For a symbol whose diffusive daily log-variance is :math:`x_t = \\mu_t + h_t` (``h`` an AR(1) with persistence
:math:`\\phi` and shock sd :math:`\\sigma`; ``forge_core.data.synthetic``), the expected mean daily variance over the
next :math:`n` trading days is

.. math::

    v_{t,n} = \\frac1n \\sum_{k=1}^{n} \\exp\\Bigl(\\mu_t + \\phi^k h_t + \\tfrac12\\sigma^2
        \\frac{1 - \\phi^{2k}}{1 - \\phi^2}\\Bigr) + \\lambda\\,E[J^2],

and the at-the-money implied volatility of maturity :math:`T = n/252` is :math:`\\sigma_0 = p\\sqrt{252\\,v_{t,n}}`,
with the variance risk premium factor :math:`p` of the market's VIX. The smile in standardised moneyness
:math:`m = \\ln(K/F)/(\\sigma_0\\sqrt T)` is :math:`\\sigma(m) = \\sigma_0(1 + a\\rho\\,m + c\\,m^2)`, clipped to
:math:`[\\sigma_0/2, 3\\sigma_0]`: its slope is the market's leverage :math:`\\rho` (negative: puts are dearer), as
a stochastic-volatility model with that correlation gives. Each day lists four expiries (21, 42, 63 and 126 trading
days) with nine strikes each at :math:`m = -2 .. 2`, calls and puts, priced by Black-Scholes-Merton with rate
:math:`r` and dividend yield :math:`q`, quoted around the price with a random half-spread. Random numbers come per
(seed, symbol, calendar year), like the bars', so the chains are as reproducible as the market.

The quote summaries give each day's close a bid-ask spread that widens with the day's volatility, sizes, and the
day's volume split into buyer- and seller-initiated trades, tilted towards the sign of the day's return.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forge_core.data.synthetic import SyntheticSource, trading_days
from forge_core.options.implied_vol import black_price
from forge_core.options.quote_validation import SUMMARY_COLUMNS
from forge_core.units import TRADING_DAYS_PER_YEAR

EXPIRY_DAYS = (21, 42, 63, 126)  # trading days
MONEYNESS = np.linspace(-2.0, 2.0, 9)  # standardised log-moneyness of the strikes
_OPTIONS_STREAM = 2**31 - 2  # the "year" offset that keeps these random numbers apart from the bars'


@dataclass(frozen=True)
class ChainParams:
    """``rate``, ``dividend_yield``: yearly, continuously compounded; ``skew_per_leverage`` (:math:`a`) and
    ``smile`` (:math:`c`): the smile's shape; ``half_spread``: (fixed, share of the price) of the quotes'
    half-spread, scaled by a uniform (0.5, 1.5) draw; ``tick``: the strike grid."""

    rate: float = 0.02
    dividend_yield: float = 0.015
    skew_per_leverage: float = 0.3
    smile: float = 0.05
    half_spread: tuple[float, float] = (0.01, 0.01)
    tick: float = 0.5


def expected_variance(
    source: SyntheticSource, log_variance: np.ndarray, long_run: np.ndarray, days: int
) -> np.ndarray:
    """:math:`v_{t,n}` of every (day, symbol) for ``days`` = :math:`n` (see the module)."""
    p = source.params
    deviation = log_variance - long_run[:, np.newaxis]
    total = np.zeros_like(log_variance)
    for k in range(1, days + 1):
        spread = p.vol_of_vol**2 * (1.0 - p.persistence ** (2 * k)) / (1.0 - p.persistence**2)
        total += np.exp(long_run[:, np.newaxis] + p.persistence**k * deviation + spread / 2.0)
    variance: np.ndarray = total / days + p.jump_intensity * (p.jump_mean**2 + p.jump_sd**2)
    return variance


def _draws(
    source: SyntheticSource, symbol: int, dates: pd.DatetimeIndex, contracts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Half-spread factors (days, contracts) and sizes (days, contracts, 2) of one symbol's quotes: drawn for every
    weekday of each calendar year and picked by date, so a day's quotes never depend on the range asked for."""
    spread, sizes = np.empty((len(dates), contracts)), np.empty((len(dates), contracts, 2))
    for year in np.unique(dates.year):
        year_days = trading_days(dt.date(int(year), 1, 1), dt.date(int(year), 12, 31))
        rng = np.random.default_rng(np.random.SeedSequence([source.seed, symbol, int(year), _OPTIONS_STREAM]))
        all_spread = rng.uniform(0.5, 1.5, (len(year_days), contracts))
        all_sizes = 1 + rng.poisson(20, (len(year_days), contracts, 2))
        mine = dates.year == year
        at = year_days.searchsorted(dates[mine])
        spread[mine], sizes[mine] = all_spread[at], all_sizes[at]
    return spread, sizes


def option_chains(
    source: SyntheticSource,
    start: dt.date,
    end: dt.date,
    params: ChainParams | None = None,
    symbols: list[str] | None = None,
) -> pd.DataFrame:
    """Quotes (``forge_core.options.quote_validation`` columns, ``option_type`` C/P) of every symbol (or of
    ``symbols``) and weekday in [start, end]."""
    p = params or ChainParams()
    states = source.variance_states(start, end)
    if len(states.dates) == 0:
        return pd.DataFrame()
    frames = []
    for n in EXPIRY_DAYS:
        t = n / TRADING_DAYS_PER_YEAR
        atm = source.params.vix_premium * np.sqrt(
            TRADING_DAYS_PER_YEAR * expected_variance(source, states.log_variance, states.long_run, n)
        )
        forward = states.close * math.exp((p.rate - p.dividend_yield) * t)
        for m in MONEYNESS:
            strike = np.maximum(np.round(forward * np.exp(m * atm * math.sqrt(t)) / p.tick) * p.tick, p.tick)
            standardised = np.log(strike / forward) / (atm * math.sqrt(t))
            vol = atm * np.clip(
                1 + p.skew_per_leverage * source.params.leverage * standardised + p.smile * standardised**2,
                0.5,
                3.0,
            )
            for call in (True, False):
                price = black_price(forward, strike, t, vol, np.full(vol.shape, call), math.exp(-p.rate * t))
                frames.append((n, call, strike, price))
    dates = pd.DatetimeIndex(states.dates)
    expiry_offsets = {n: pd.Timedelta(days=round(n * 365 / TRADING_DAYS_PER_YEAR)) for n in EXPIRY_DAYS}
    rows = []
    for i, symbol in enumerate(states.symbols):
        if symbols is not None and symbol not in symbols:
            continue
        spread_draw, sizes = _draws(source, i, dates, len(frames))
        for j, (n, call, strike, price) in enumerate(frames):
            mid = price[:, i]
            half = (p.half_spread[0] + p.half_spread[1] * mid) * spread_draw[:, j]
            rows.append(
                pd.DataFrame(
                    {
                        "symbol": symbol,
                        "date": dates,
                        "expiry": dates + expiry_offsets[n],
                        "strike": strike[:, i],
                        "option_type": "C" if call else "P",
                        "bid": np.maximum(mid - half, 0.0),
                        "ask": mid + half,
                        "bid_size": sizes[:, j, 0],
                        "ask_size": sizes[:, j, 1],
                        "underlying_price": states.close[:, i],
                        "rate": p.rate,
                        "dividend_yield": p.dividend_yield,
                    }
                )
            )
    quotes = pd.concat(rows, ignore_index=True)
    return quotes.drop_duplicates(["symbol", "date", "expiry", "strike", "option_type"]).reset_index(
        drop=True
    )


def quote_summaries(source: SyntheticSource, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Each symbol's closing quote and trade summary per weekday in [start, end] (``SUMMARY_COLUMNS``): a spread
    of :math:`2 + 2000\\,\\sigma_t` basis points (:math:`\\sigma_t` the day's volatility) times a uniform (0.7, 1.3)
    draw around the close, sizes of 1 + 25 x Poisson(20), and the day's volume split into buys and sells with a buy
    share of :math:`0.5 + 0.25\\tanh(r_t/\\sigma_t)` plus uniform noise of sd 0.05, clipped to [0.05, 0.95]. Its
    random numbers are a stream of their own (symbol index + 10,000), drawn per year like the chains'."""
    states = source.variance_states(
        start - dt.timedelta(days=7), end
    )  # a close before the first day: its return
    bars = source.load(start - dt.timedelta(days=7), end)
    dates = pd.DatetimeIndex(states.dates)
    returns = np.vstack([np.full(len(states.symbols), np.nan), np.diff(np.log(states.close), axis=0)])
    sd = np.exp(states.log_variance / 2)
    frames = []
    for i, symbol in enumerate(states.symbols):
        draws, sizes = _draws(source, i + 10_000, dates, 2)  # a stream of its own beside the chains'
        spread = (2 + 2000 * sd[:, i]) * (0.7 + 0.6 * (draws[:, 0] - 0.5))
        volume = bars.loc[bars["symbol"] == symbol, "volume"].to_numpy()
        noise = 0.05 * np.sqrt(12.0) * (draws[:, 1] - 1.0)  # uniform on (-0.5, 0.5) scaled to sd 0.05
        share = np.clip(0.5 + 0.25 * np.tanh(returns[:, i] / sd[:, i]) + noise, 0.05, 0.95)
        close = states.close[:, i]
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "date": dates,
                    "bid": close * (1 - spread / 2e4),
                    "ask": close * (1 + spread / 2e4),
                    "bid_size": 1 + sizes[:, 0, 0] * 25,
                    "ask_size": 1 + sizes[:, 0, 1] * 25,
                    "buy_volume": np.rint(volume * share),
                    "sell_volume": volume - np.rint(volume * share),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out[out["date"] >= pd.Timestamp(start)].dropna().reset_index(drop=True)[list(SUMMARY_COLUMNS)]
