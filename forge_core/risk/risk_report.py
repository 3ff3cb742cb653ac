"""The risk backtest of walk-forward forecasts: one-day VaR and ES of every model, per calendar year and overall.

The one-day forecast :math:`f_t` made at the close of day :math:`t` is the variance of day :math:`t+1`'s return
:math:`r_{t+1}` (``log_return``). For each year, each model's return distribution (``value_at_risk``: scale and
Student-t or FHS) is calibrated on the last ``calibration_days`` pairs :math:`(f_t, r_{t+1})` whose return had
happened before the year began, so nothing of the year enters its own VaR; then every day of the year is scored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from forge_core.risk.value_at_risk import FloatArray, Method, fit_return_distribution
from forge_core.risk.var_backtests import es_backtest, var_backtest

TAILS = (0.01, 0.025, 0.05)
METHODS: tuple[Method, ...] = ("t", "fhs")
CALIBRATION_DAYS = 500
RISK_COLUMNS = [
    "symbol", "model", "method", "tail", "period", "days", "violations", "expected", "p_pof", "p_ind", "p_cc",
    "es_violations", "es_mean_residual", "es_p_value",
]  # fmt: skip


class Scored(NamedTuple):
    """One period's returns with their VaR and ES (days x tails) and return scale."""

    period: str
    returns: FloatArray
    var: FloatArray
    es: FloatArray
    scale: FloatArray


def paired_returns(forecasts: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """Each one-day forecast (``symbol, date, model, forecast``) beside the return of the next trading day of its
    symbol (``returns``: ``symbol, date, log_return``) as ``next_return`` and that day as ``return_date``."""
    nxt = returns.sort_values(["symbol", "date"]).copy()
    nxt["return_date"] = nxt.groupby("symbol")["date"].shift(-1)
    nxt["next_return"] = nxt.groupby("symbol")["log_return"].shift(-1)
    return forecasts.merge(nxt[["symbol", "date", "return_date", "next_return"]], on=["symbol", "date"])


def load_pairs(conn: duckdb.DuckDBPyConnection, target: str) -> pd.DataFrame:
    """``paired_returns`` of every stored forecast of ``target`` (a one-day target) and the daily log returns."""
    forecasts = conn.execute(
        "SELECT symbol, date, model, forecast FROM forecasts WHERE target = ? ORDER BY symbol, model, date",
        [target],
    ).df()
    returns = conn.execute(
        "SELECT symbol, date, log_return FROM daily_features WHERE log_return IS NOT NULL ORDER BY symbol, date"
    ).df()
    for frame in (forecasts, returns):
        frame["date"] = pd.to_datetime(frame["date"])
    return paired_returns(forecasts, returns)


def eligible_years(pairs: pd.DataFrame, calibration_days: int) -> list[int]:
    """The calendar years by whose start every (symbol, model) series has ``calibration_days`` realised pairs,
    through the last year with a return."""
    known = pairs.dropna(subset=["next_return"])
    if known.empty:
        return []
    firsts = []
    for _, series in known.groupby(["symbol", "model"]):
        days = series["return_date"].sort_values()
        if len(days) <= calibration_days:
            return []
        firsts.append(days.iloc[calibration_days - 1].year + 1)
    return list(range(max(firsts), int(known["return_date"].max().year) + 1))


def yearly_splits(
    pairs: pd.DataFrame, years: Sequence[int], calibration_days: int
) -> Iterator[tuple[str, str, int, pd.DataFrame, pd.DataFrame]]:
    """Per (symbol, model) of ``paired_returns`` rows and each of ``years`` with returns: ``(symbol, model, year,
    past, now)``, ``past`` the last ``calibration_days`` pairs whose return happened before the year, ``now`` the
    year's pairs (both in date order)."""
    known = pairs.dropna(subset=["next_return"])
    for (symbol, model), series in known.groupby(["symbol", "model"], sort=True):
        series = series.sort_values("date")
        day = series["return_date"]
        for year in years:
            start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year + 1, 1, 1)
            now = series[(day >= start) & (day < end)]
            if not now.empty:
                yield str(symbol), str(model), year, series[day < start].tail(calibration_days), now


def risk_backtest(
    pairs: pd.DataFrame,
    years: Sequence[int],
    tails: Sequence[float] = TAILS,
    methods: Sequence[Method] = METHODS,
    calibration_days: int = CALIBRATION_DAYS,
) -> pd.DataFrame:
    """``RISK_COLUMNS`` rows per symbol, model, method and tail: each of ``years`` and ``all`` of them, from
    ``paired_returns`` rows. ValueError naming the model, symbol and year that cannot be calibrated."""
    scored: dict[tuple[str, str, str], list[Scored]] = {}
    for symbol, model, year, past, now in yearly_splits(pairs, years, calibration_days):
        name = f"{model} {symbol} {year}"
        for method in methods:
            past_returns, past_forecasts = past["next_return"].to_numpy(), past["forecast"].to_numpy()
            distribution = fit_return_distribution(past_returns, past_forecasts, method, name)
            var, es = distribution.value_at_risk(now["forecast"].to_numpy(), tails, name)
            scale = np.sqrt(distribution.scale2 * now["forecast"].to_numpy())
            scored.setdefault((symbol, model, method), []).append(
                Scored(str(year), now["next_return"].to_numpy(), var, es, scale)
            )
    rows = []
    for (symbol, model, kind), periods in scored.items():
        joined = Scored(
            "all",
            np.concatenate([s.returns for s in periods]),
            np.concatenate([s.var for s in periods]),
            np.concatenate([s.es for s in periods]),
            np.concatenate([s.scale for s in periods]),
        )
        for period, r, var, es, scale in [*periods, joined]:
            for i, tail in enumerate(tails):
                test = var_backtest(r < -var[:, i], tail)
                shortfall = es_backtest(r, var[:, i], es[:, i], scale)
                rows.append(
                    [symbol, model, kind, tail, period, test.days, test.violations, test.expected,
                     test.p_pof, test.p_ind, test.p_cc, shortfall.violations, shortfall.mean_residual,
                     shortfall.p_value]
                )  # fmt: skip
    return pd.DataFrame(rows, columns=RISK_COLUMNS)
