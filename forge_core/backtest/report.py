"""The backtest report: every model against the realised targets, per symbol and target, on the same days.

For each (symbol, target) the forecasts of all models are aligned on the days where every model forecast and the
target is realised and positive (``first_day``, ``last_day`` and ``n`` say which days those were; a model
backfilled over fewer windows narrows them for every model). On those days: MSE and QLIKE (and their ratios to
HAR), Diebold-Mariano p-values against HAR and log-HAR (QLIKE losses, HLN-corrected, HAC lag h-1), membership of
the 10% Model Confidence Set, Mincer-Zarnowitz, the proxy's QLIKE noise floor with the reducible part of each
model's loss, and the coverage and mean width of the 80% (q10-q90) and 90% (q05-q95) bands. The same per year.
Feature variants (``log_har_with_options``) also against the model they differ from, on the days both forecast
(``forge_core.backtest.feature_gain``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from forge_core.backtest.feature_gain import feature_gain, gain_summary
from forge_core.evaluation import IntervalScore, by_year, compare_forecasts, qlike_noise_floor
from forge_core.quantiles import central_bands

BANDS = central_bands()
KEYS = ["symbol", "target"]
MIN_DAYS_PER_YEAR = 50


@cache
def noise_floor(proxy: str, horizon: int) -> float:
    """Expected QLIKE of a perfect forecast scored against this proxy (Monte Carlo, forge_core.evaluation)."""
    return qlike_noise_floor(proxy, horizon).expected_qlike


@dataclass(frozen=True)
class BacktestReport:
    """``overall``: one row per (symbol, target, model); ``yearly``: the same per calendar year;
    ``feature_gain``: one row per (symbol, target, feature variant) against its partner (see ``feature_gain``)."""

    overall: pd.DataFrame
    yearly: pd.DataFrame
    feature_gain: pd.DataFrame


def _interval_scores(rows: pd.DataFrame, days: pd.Index) -> pd.DataFrame:
    """Coverage and mean width of each band per model, on ``days``."""
    on_days = rows[rows["date"].isin(days)]
    records = []
    for model, group in on_days.groupby("model"):
        record: dict[str, object] = {"model": model}
        for name, (low, high, nominal) in BANDS.items():
            score = IntervalScore.evaluate(group["realised"], group[low], group[high], nominal)
            record[f"coverage_{name}"] = score.coverage
            record[f"width_{name}"] = score.mean_width
        records.append(record)
    return pd.DataFrame(records)


@dataclass(frozen=True)
class _Aligned:
    """One (symbol, target)'s rows on the days every model forecast and the realised proxy is positive (QLIKE has
    no value at zero, e.g. a day with high == low).

    Attributes
    ----------
    realised : pd.Series
        The realised target per day.
    forecasts : pd.DataFrame
        Every model's forecast per day (days x models).
    zero_days : int
        Days left out because the realised proxy was zero.
    """

    realised: pd.Series
    forecasts: pd.DataFrame
    zero_days: int


def _aligned(rows: pd.DataFrame) -> _Aligned:
    """Realised values and every model's forecasts on the days all of them exist and the realised proxy is
    positive, and how many zero days were left out."""
    forecasts = rows.pivot_table(index="date", columns="model", values="forecast", aggfunc="first")
    realised = rows.groupby("date")["realised"].first()
    days = forecasts.dropna().index.intersection(realised.dropna().index)
    positive = (realised.loc[days] > 0).to_numpy()
    return _Aligned(realised.loc[days][positive], forecasts.loc[days][positive], int((~positive).sum()))


def evaluate_backtest(realised: pd.DataFrame, *, seed: int = 0) -> BacktestReport:
    """The report of ``store.load_realised`` rows (all symbols, targets and models present)."""
    overall, yearly = [], []
    for (symbol, target), rows in realised.groupby(KEYS, sort=True):
        horizon, proxy = int(rows["horizon"].iloc[0]), str(rows["proxy"].iloc[0])
        aligned = _aligned(rows)
        y, forecasts = aligned.realised, aligned.forecasts
        if len(y) <= horizon + 1:
            continue
        floor = noise_floor(proxy, horizon)
        table = compare_forecasts(y, forecasts, horizon, seed=seed, qlike_floor=floor)
        table = table.rename_axis("model").reset_index().merge(_interval_scores(rows, y.index), on="model")
        span = {
            "first_day": y.index.min().date(),
            "last_day": y.index.max().date(),
            "zero_days_left_out": aligned.zero_days,
        }
        overall.append(
            table.assign(
                symbol=symbol, target=target, horizon=horizon, proxy=proxy, noise_floor=floor, **span
            )
        )
        if y.index.year.value_counts().max() >= MIN_DAYS_PER_YEAR:
            per_year = by_year(
                y, forecasts, horizon, min_days=MIN_DAYS_PER_YEAR, seed=seed, qlike_floor=floor
            )
            yearly.append(per_year.rename_axis("model").reset_index().assign(symbol=symbol, target=target))
    return BacktestReport(_keys_first(overall), _keys_first(yearly), feature_gain(realised))


def _keys_first(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    first = [c for c in ("symbol", "target", "year", "model") if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


SUMMARY_COLUMNS = [
    "symbol", "target", "model", "n", "first_day", "last_day", "qlike", "qlike_ratio", "mse_ratio",
    "dm_p_vs_har", "dm_p_vs_log_har", "in_mcs", "reducible_qlike",
    "coverage_80%", "width_80%", "coverage_90%", "width_90%",
]  # fmt: skip


def summary_markdown(report: BacktestReport) -> str:
    """The overall table as markdown, the columns a researcher reads first."""
    columns = [c for c in SUMMARY_COLUMNS if c in report.overall.columns]
    text = str(report.overall[columns].to_markdown(index=False, floatfmt=".4g"))
    if report.feature_gain.empty:
        return text
    gains = gain_summary(report.feature_gain).to_markdown(index=False, floatfmt=".4g")
    title = "Feature sets: QLIKE ratio with / without, symbols significantly better or worse (DM 5%)"
    return f"{text}\n\n{title}\n\n{gains}"
