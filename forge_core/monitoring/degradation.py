"""Degradation of the champion: is it doing clearly worse, live, than it did out of sample when it was fitted?

On the last ``days`` days on which the current champion version had forecasts scored (its realised targets),
with :math:`\\bar L` the mean over those days of the cross-sectional mean QLIKE and :math:`L_0` the version's
mean out-of-sample QLIKE when fitted (``fitted_qlike``):

- QLIKE: degraded when :math:`\\bar L / L_0 > \\rho` (``max_qlike_ratio``, default 1.5). A ratio, not a
  Page-Hinkley or CUSUM statistic: one number a risk engineer can read against the backtest, tested on a window
  long enough (``min_days``) that one bad week cannot trip it alone.
- Coverage: degraded when the interval at ``level`` covered significantly less often than nominal, by a
  one-sided binomial test of the k covered of n scored rows at size ``coverage_alpha``. Overlapping h-day
  targets are autocorrelated, so the test counts :math:`n/h` effective rows (and :math:`k/h` covered).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from scipy import stats

from forge_core.quantiles import covered_column
from forge_core.roles import Role


@dataclass(frozen=True)
class DegradationRule:
    days: int = 60
    max_qlike_ratio: float = 1.5
    level: float = 0.9
    coverage_alpha: float = 0.01
    min_days: int = 20

    def __post_init__(self) -> None:
        if not (1 <= self.min_days <= self.days and self.max_qlike_ratio > 1 and 0 < self.coverage_alpha < 1):
            raise ValueError(
                f"degradation: need 1 <= min_days <= days, max_qlike_ratio > 1, 0 < alpha < 1: {self}"
            )


@dataclass(frozen=True)
class Degradation:
    """The champion's live record on its last scored days, and whether it degraded (with why)."""

    target: str
    model: str
    model_version: int
    days: int
    first_day: dt.date | None
    last_day: dt.date | None
    qlike: float
    fitted_qlike: float
    qlike_ratio: float
    coverage: float
    coverage_p_value: float
    degraded: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def champion(self) -> str:
        """The judged champion as ``<model> v<version>``, or that none has been scored yet."""
        return f"{self.model} v{self.model_version}" if self.days else "no champion scored yet"


def check_degradation(
    scores: pd.DataFrame, target: str, horizon: int, rule: DegradationRule | None = None
) -> Degradation:
    """The degradation of the champion of ``target`` from ``forecast_scores`` rows (any days, any targets): the
    version of the latest champion row is judged on its own last ``rule.days`` scored days."""
    rule = rule or DegradationRule()
    mine = scores[(scores["target"] == target) & (scores["role"] == Role.CHAMPION)]
    if mine.empty:
        nan = float("nan")
        return Degradation(
            target, "", 0, 0, None, None, nan, nan, nan, nan, nan, False, ["no champion scores yet"]
        )
    latest = mine.sort_values("realised_on").iloc[-1]
    rows = mine[mine["model_version"] == latest["model_version"]]
    days = sorted(pd.to_datetime(rows["realised_on"]).unique())[-rule.days :]
    rows = rows[pd.to_datetime(rows["realised_on"]).isin(days)]
    daily = rows.groupby("realised_on")["qlike"].mean()
    live, fitted = float(daily.mean()), float(rows["fitted_qlike"].iloc[0])
    covered = rows[covered_column(rule.level)].astype(bool)
    n_eff, k_eff = len(covered) / horizon, covered.sum() / horizon
    p_value = float(stats.binom.cdf(round(k_eff), max(round(n_eff), 1), rule.level))
    reasons = []
    if len(days) >= rule.min_days:
        if live / fitted > rule.max_qlike_ratio:
            reasons.append(
                f"QLIKE {live:.4g} is {live / fitted:.2f}x its out-of-sample {fitted:.4g} (max {rule.max_qlike_ratio})"
            )
        if p_value < rule.coverage_alpha:
            test = f"binomial p = {p_value:.2g} < {rule.coverage_alpha}"
            reasons.append(f"{rule.level:.0%} intervals covered {covered.mean():.3f} ({test})")
    return Degradation(
        target=target,
        model=str(latest["model"]),
        model_version=int(latest["model_version"]),
        days=len(days),
        first_day=pd.Timestamp(days[0]).date(),
        last_day=pd.Timestamp(days[-1]).date(),
        qlike=live,
        fitted_qlike=fitted,
        qlike_ratio=live / fitted,
        coverage=float(covered.mean()),
        coverage_p_value=p_value,
        degraded=bool(reasons),
        reasons=reasons
        or ([] if len(days) >= rule.min_days else [f"only {len(days)} scored days, need {rule.min_days}"]),
    )
