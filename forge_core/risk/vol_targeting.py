"""Volatility targeting: hold the asset with an exposure that aims at a constant annualised volatility.

At the close of day :math:`t` the exposure for day :math:`t+1` is set from that close's one-day variance forecast
:math:`f_t` (return scale :math:`k^2`, see ``value_at_risk``),

.. math:: w_t = \\min\\Bigl(\\frac{\\sigma^*}{\\sqrt{252\\, k^2 f_t}},\\; L\\Bigr), \\qquad
    R_{t+1} = w_t\\, r_{t+1},

with target :math:`\\sigma^*` (default 10%) and leverage cap :math:`L`; :math:`r` are simple close-to-close
returns. Nothing of day :math:`t+1` enters :math:`w_t`. ``strategy_backtest`` runs it over walk-forward
forecasts, each year's :math:`k^2` calibrated on the days before it.

Scores (252 trading days a year): annualised return :math:`252\\,\\bar R`, volatility :math:`\\sqrt{252}\\,s_R`,
Sharpe (their ratio, no risk-free rate), maximum drawdown of the equity curve :math:`\\prod(1 + R)`, tracking error
of the realised volatility (root mean square of the 22-day rolling annualised volatility minus :math:`\\sigma^*`)
and turnover (mean :math:`|w_t - w_{t-1}|`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forge_core.risk.risk_report import yearly_splits
from forge_core.units import TRADING_DAYS_PER_YEAR

ROLLING_DAYS = 22


@dataclass(frozen=True)
class StrategyResult:
    """One strategy's daily exposures and returns (indexed by the day the return is earned) and its scores."""

    name: str
    exposure: pd.Series
    returns: pd.Series

    @property
    def equity(self) -> pd.Series:
        """The equity curve, starting at 1."""
        return (1.0 + self.returns).cumprod()

    def scores(self, target: float) -> dict[str, float]:
        """Annualised return and volatility, Sharpe, maximum drawdown, volatility tracking error against
        ``target`` and turnover."""
        r = self.returns.to_numpy(dtype=float)
        annual_return = TRADING_DAYS_PER_YEAR * float(r.mean())
        annual_vol = math.sqrt(TRADING_DAYS_PER_YEAR) * float(r.std(ddof=1))
        equity = self.equity.to_numpy()
        drawdown = float((1.0 - equity / np.maximum.accumulate(equity)).max())
        rolling = self.returns.rolling(ROLLING_DAYS).std().dropna().to_numpy() * math.sqrt(
            TRADING_DAYS_PER_YEAR
        )
        return {
            "annual_return": annual_return,
            "annual_volatility": annual_vol,
            "sharpe": annual_return / annual_vol if annual_vol > 0 else math.nan,
            "max_drawdown": drawdown,
            "vol_tracking_error": float(np.sqrt(np.mean((rolling - target) ** 2)))
            if rolling.size
            else math.nan,
            "turnover": float(np.abs(np.diff(self.exposure.to_numpy())).mean())
            if len(self.exposure) > 1
            else 0.0,
        }


def exposure(variance: pd.Series, scale2: float, target: float, cap: float) -> pd.Series:
    """:math:`w = \\min(\\sigma^* / \\sqrt{252\\, k^2 f}, L)` of each forecast (the module's rule)."""
    weights: pd.Series = np.minimum(target / np.sqrt(TRADING_DAYS_PER_YEAR * scale2 * variance), cap)
    return weights


def vol_target(
    returns: pd.Series,
    variance: pd.Series,
    name: str,
    *,
    scale2: float = 1.0,
    target: float = 0.10,
    cap: float = 2.0,
    next_day: bool = True,
) -> StrategyResult:
    """The strategy of ``variance`` on ``returns`` (simple returns indexed by the day they are earned): the one
    entry point of volatility targeting, which ``strategy_backtest`` runs per symbol, model and year.

    ``next_day``: the forecasts are indexed by the close they were made at, and each sets the exposure earned on
    the next day of ``returns``; False: they are already indexed by the day their exposure is earned (the
    walk-forward's pairs of a forecast and its next return), the same index as ``returns``. ValueError naming the
    first day whose forecast is not positive, or a cap or target that is not."""
    if not (target > 0 and cap > 0):
        raise ValueError(f"{name}: target and cap must be > 0, got {target} and {cap}")
    f = variance.dropna()
    bad = f[~(np.isfinite(f) & (f > 0))]
    if not bad.empty:
        raise ValueError(f"{name}: the variance forecast of {bad.index[0]} is {bad.iloc[0]}, not > 0")
    weights = exposure(f, scale2, target, cap)
    if not next_day:
        return StrategyResult(name, weights, weights * returns)
    earned = (
        pd.Series(weights.to_numpy(), index=f.index).reindex(returns.index).shift(1)
    )  # set at t, earned t + 1
    known = earned.notna()
    return StrategyResult(name, earned[known], earned[known] * returns[known])


def buy_and_hold(returns: pd.Series, days: pd.Index) -> StrategyResult:
    """Full exposure on ``days`` (those a targeting strategy trades, for a like-for-like comparison)."""
    held = returns.reindex(days)
    return StrategyResult("buy_and_hold", pd.Series(1.0, index=days), held)


def strategy_backtest(
    pairs: pd.DataFrame,
    years: Sequence[int],
    *,
    target: float = 0.10,
    cap: float = 2.0,
    calibration_days: int = 500,
    benchmark: str = "har",
) -> tuple[pd.DataFrame, dict[tuple[str, str], StrategyResult]]:
    """Volatility targeting with every model's one-day forecasts (``risk_report.paired_returns`` rows) over
    ``years``, beside buy-and-hold on the same days: a score row per symbol and strategy (with the Sharpe
    difference to ``benchmark``-targeting), and the strategies by (symbol, name). Each year's return scale
    :math:`k^2` comes from the last ``calibration_days`` pairs realised before it. ValueError naming the model,
    symbol and year without such days."""
    rows, strategies = [], {}
    exposures: dict[tuple[str, str], list[pd.Series]] = {}
    earned: dict[tuple[str, str], list[pd.Series]] = {}
    for symbol, model, year, past, now in yearly_splits(pairs, years, calibration_days):
        if len(past) < calibration_days // 2:
            raise ValueError(f"{model} {symbol} {year}: {len(past)} days to calibrate the return scale")
        bad = now[~(np.isfinite(now["forecast"]) & (now["forecast"] > 0))]
        if not bad.empty:
            day, value = bad["date"].iloc[0], bad["forecast"].iloc[0]
            raise ValueError(f"{model} {symbol} {year}: the forecast of {day:%Y-%m-%d} is {value}, not > 0")
        scale2 = float(np.mean(past["next_return"] ** 2 / past["forecast"]))
        f = pd.Series(now["forecast"].to_numpy(), index=pd.DatetimeIndex(now["return_date"]))
        r = pd.Series(np.expm1(now["next_return"].to_numpy()), index=f.index)
        year_strategy = vol_target(r, f, model, scale2=scale2, target=target, cap=cap, next_day=False)
        exposures.setdefault((symbol, model), []).append(year_strategy.exposure)
        earned.setdefault((symbol, model), []).append(year_strategy.returns)
    for key, parts in exposures.items():
        strategies[key] = StrategyResult(key[1], pd.concat(parts), pd.concat(earned[key]))
    for symbol in sorted({s for s, _ in strategies}):
        mine = {m: strategy for (s, m), strategy in strategies.items() if s == symbol}
        days = next(iter(mine.values())).returns.index
        simple = pairs[pairs["symbol"] == symbol].drop_duplicates("return_date").set_index("return_date")
        held = buy_and_hold(np.expm1(simple["next_return"]), days)
        strategies[(symbol, held.name)] = held
        reference = mine[benchmark].scores(target)["sharpe"] if benchmark in mine else math.nan
        for name, strategy in {**mine, held.name: held}.items():
            scores = strategy.scores(target)
            rows.append({"symbol": symbol, "strategy": name, **scores,
                         f"sharpe_minus_{benchmark}": scores["sharpe"] - reference})  # fmt: skip
    return pd.DataFrame(rows), strategies
