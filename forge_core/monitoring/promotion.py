"""Champion / challenger: the challenger replaces the champion only when it beat it significantly on the last
scored shadow days.

Both publish a forecast for every symbol every day (the challenger as a shadow); once a target has realised, each
day gets one loss per model, the cross-sectional mean QLIKE over the symbols both forecast. On the last ``days``
days scored for both, the challenger is promoted when all three hold:

- its mean QLIKE is lower than the champion's;
- the Diebold-Mariano test (HLN correction, HAC lag h - 1: overlapping h-day targets) of the daily loss
  differential :math:`d_t = L^{\\text{challenger}}_t - L^{\\text{champion}}_t` rejects equal accuracy, two-sided
  p-value below ``alpha``;
- the challenger is in the (1 - ``mcs_size``) Model Confidence Set of the two.

Otherwise nothing changes; either way the decision (statistics and the days compared) is recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from forge_core.evaluation import default_block_size, model_confidence_set
from forge_core.evaluation.diebold_mariano import diebold_mariano

CHAMPION_COLUMN, CHALLENGER_COLUMN = "champion", "challenger"


@dataclass(frozen=True)
class PromotionRule:
    """The thresholds of a promotion: ``days`` last scored shadow days compared, DM size ``alpha``, MCS size
    ``mcs_size`` (with ``mcs_reps`` bootstrap resamples, seeded), and the fewest days a decision needs."""

    days: int = 60
    alpha: float = 0.05
    mcs_size: float = 0.10
    mcs_reps: int = 1000
    min_days: int = 20
    seed: int = 0

    def __post_init__(self) -> None:
        if not 2 <= self.min_days <= self.days:
            raise ValueError(f"promotion: need 2 <= min_days <= days, got {self.min_days}, {self.days}")
        if not (0 < self.alpha < 1 and 0 < self.mcs_size < 1 and self.mcs_reps >= 1):
            raise ValueError(f"promotion: need 0 < alpha, mcs_size < 1 and mcs_reps >= 1, got {self}")


@dataclass(frozen=True)
class PromotionDecision:
    """What was compared and what was decided. ``promote`` is True only on a significant win (see the module)."""

    target: str
    champion: str
    challenger: str
    promote: bool
    reason: str
    days: int
    first_day: dt.date | None
    last_day: dt.date | None
    champion_qlike: float
    challenger_qlike: float
    dm_statistic: float
    dm_p_value: float
    challenger_mcs_p_value: float
    rule: PromotionRule

    def as_row(self) -> dict[str, Any]:
        """A flat record (the ``promotions`` table's columns, the rule's thresholds prefixed ``rule_``)."""
        row = {k: v for k, v in asdict(self).items() if k != "rule"}
        return row | {f"rule_{k}": v for k, v in asdict(self.rule).items()}


def daily_losses(
    scores: pd.DataFrame, champion: object, challenger: object, *, key: str = "model", day: str = "date"
) -> pd.DataFrame:
    """Per day, the mean QLIKE of ``champion`` and ``challenger`` (``CHAMPION_COLUMN`` and ``CHALLENGER_COLUMN``)
    over the symbols both scored that day. ``scores`` has ``day, symbol, key, qlike`` (one row per scored
    forecast); ``key`` names the models (a family name, or a registry version number)."""
    wide = scores[scores[key].isin([champion, challenger])].pivot_table(
        index=[day, "symbol"], columns=key, values="qlike", aggfunc="first"
    )
    both = wide.reindex(columns=[champion, challenger]).dropna()
    means = both.groupby(level=day).mean()
    return means.set_axis([CHAMPION_COLUMN, CHALLENGER_COLUMN], axis=1).sort_index()


def decide_promotion(
    target: str,
    horizon: int,
    champion: str,
    challenger: str,
    losses: pd.DataFrame,
    rule: PromotionRule | None = None,
) -> PromotionDecision:
    """The decision on ``losses`` (``daily_losses``: a row per scored day), using its last ``rule.days`` rows."""
    rule = rule or PromotionRule()
    recent = losses.dropna().sort_index().tail(rule.days)
    n, needed = len(recent), max(rule.min_days, horizon + 1)
    champ, chall = recent[CHAMPION_COLUMN].to_numpy(), recent[CHALLENGER_COLUMN].to_numpy()
    statistic = p_value = mcs_p_value = float("nan")
    if n < needed:
        promote, reason = False, f"only {n} shadow days scored for both, need {needed}"
    else:
        test = diebold_mariano(chall, champ, horizon)
        statistic, p_value = test.statistic, test.p_value
        mcs_p_value = model_confidence_set(
            recent[[CHAMPION_COLUMN, CHALLENGER_COLUMN]],
            rule.mcs_size,
            block_size=default_block_size(n, horizon),
            reps=rule.mcs_reps,
            seed=rule.seed,
        ).pvalues[CHALLENGER_COLUMN]
        promote, reason = _verdict(champ.mean() - chall.mean(), p_value, mcs_p_value, rule)
    return PromotionDecision(
        target=target,
        champion=champion,
        challenger=challenger,
        promote=promote,
        reason=reason,
        days=n,
        first_day=pd.Timestamp(recent.index[0]).date() if n else None,
        last_day=pd.Timestamp(recent.index[-1]).date() if n else None,
        champion_qlike=float(champ.mean()) if n else float("nan"),
        challenger_qlike=float(chall.mean()) if n else float("nan"),
        dm_statistic=statistic,
        dm_p_value=p_value,
        challenger_mcs_p_value=mcs_p_value,
        rule=rule,
    )


def _verdict(gain: float, p_value: float, mcs_p_value: float, rule: PromotionRule) -> tuple[bool, str]:
    """Promote or not, and why, from the challenger's QLIKE gain and the two tests."""
    if gain <= 0:
        return False, "challenger's QLIKE is not lower"
    if p_value >= rule.alpha:
        return False, f"challenger's win is not significant: DM p = {p_value:.3g} >= {rule.alpha}"
    if mcs_p_value <= rule.mcs_size:
        return False, f"challenger is outside the {1 - rule.mcs_size:.0%} model confidence set"
    return True, f"challenger QLIKE lower by {gain:.4g}, DM p = {p_value:.3g}"
