"""The risk backtest of walk-forward forecasts: one-day and h-day VaR and ES of every model and ensemble, per
calendar year and overall.

A forecast :math:`f_t` of an h-day target made at the close of day :math:`t` is the mean daily variance over
:math:`t+1..t+h`, so :math:`h f_t` is the variance of the h-day log return :math:`R_t = r_{t+1} + .. + r_{t+h}`
(``log_return``; :math:`h = 1`: the next day's return). For each year, each model's return distribution
(``value_at_risk``: scale and Student-t or FHS, the scale absorbing :math:`h`) is calibrated on the last
``calibration_days`` pairs :math:`(f_t, R_t)` whose return had fully happened before the year began, so nothing of
the year enters its own VaR. Then the year is scored on every h-th day from each series' first forecast: h-day
returns of consecutive days overlap, and the backtests assume independent violations.
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


def paired_returns(forecasts: pd.DataFrame, returns: pd.DataFrame, horizon: int = 1) -> pd.DataFrame:
    """Each forecast of an h-day target (``symbol, date, model, forecast``) beside the log return of its symbol
    over the next ``horizon`` trading days (``returns``: ``symbol, date, log_return``) as ``next_return`` and the
    last of those days as ``return_date`` (NaN while not all have happened, and across a gap: a missing return)."""
    nxt = returns.sort_values(["symbol", "date"]).copy()
    by_symbol = nxt.groupby("symbol")
    cumulative = nxt["log_return"].fillna(0.0).groupby(nxt["symbol"]).cumsum()
    missing = nxt["log_return"].isna().astype(int).groupby(nxt["symbol"]).cumsum()
    ahead = missing.groupby(nxt["symbol"]).shift(-horizon) - missing
    nxt["return_date"] = by_symbol["date"].shift(-horizon)
    nxt["next_return"] = (cumulative.groupby(nxt["symbol"]).shift(-horizon) - cumulative).where(ahead == 0)
    return forecasts.merge(nxt[["symbol", "date", "return_date", "next_return"]], on=["symbol", "date"])


def load_pairs(conn: duckdb.DuckDBPyConnection, target: str, horizon: int = 1) -> pd.DataFrame:
    """``paired_returns`` of every stored forecast of ``target`` (of ``horizon`` days) and the daily log returns."""
    forecasts = conn.execute(
        "SELECT symbol, date, model, forecast FROM forecasts WHERE target = ? ORDER BY symbol, model, date",
        [target],
    ).df()
    returns = conn.execute("SELECT symbol, date, log_return FROM daily_features ORDER BY symbol, date").df()
    for frame in (forecasts, returns):
        frame["date"] = pd.to_datetime(frame["date"])
    return paired_returns(forecasts, returns, horizon)


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
    pairs: pd.DataFrame, years: Sequence[int], calibration_days: int, every: int = 1
) -> Iterator[tuple[str, str, int, pd.DataFrame, pd.DataFrame]]:
    """Per (symbol, model) of ``paired_returns`` rows and each of ``years`` with returns: ``(symbol, model, year,
    past, now)``, ``past`` the last ``calibration_days`` pairs whose return happened before the year, ``now`` the
    year's pairs among every ``every``-th of the series (both in date order)."""
    known = pairs.dropna(subset=["next_return"])
    for (symbol, model), series in known.groupby(["symbol", "model"], sort=True):
        series = series.sort_values("date")
        day = series["return_date"]
        scored = series.iloc[::every]
        for year in years:
            start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year + 1, 1, 1)
            now = scored[(scored["return_date"] >= start) & (scored["return_date"] < end)]
            if not now.empty:
                yield str(symbol), str(model), year, series[day < start].tail(calibration_days), now


def risk_backtest(
    pairs: pd.DataFrame,
    years: Sequence[int],
    tails: Sequence[float] = TAILS,
    methods: Sequence[Method] = METHODS,
    calibration_days: int = CALIBRATION_DAYS,
    horizon: int = 1,
) -> pd.DataFrame:
    """``RISK_COLUMNS`` rows per symbol, model, method and tail: each of ``years`` and ``all`` of them, from
    ``paired_returns`` rows of a ``horizon``-day target (scored every ``horizon`` days, see the module). ValueError
    naming the model, symbol and year that cannot be calibrated."""
    scored: dict[tuple[str, str, str], list[Scored]] = {}
    for symbol, model, year, past, now in yearly_splits(pairs, years, calibration_days, horizon):
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
