"""Promotion happens only on a significant win of the challenger on the last scored shadow days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.monitoring.promotion import PromotionRule, daily_losses, decide_promotion


def scores(days: int, champion_scale: float, challenger_scale: float, seed: int = 0) -> pd.DataFrame:
    """Scored forecasts of two symbols: QLIKE of forecasts off the truth by log-normal errors of the given sd."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2018-01-02", periods=days)
    rows = []
    for symbol in ("A", "B"):
        truth = rng.gamma(4.0, 0.25, days)
        for model, scale in (("har", champion_scale), ("lstm", challenger_scale)):
            forecast = np.exp(rng.normal(0.0, scale, days))
            ratio = truth / forecast
            rows.append(pd.DataFrame({"date": dates, "symbol": symbol, "model": model,
                                      "qlike": ratio - np.log(ratio) - 1}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def test_a_clearly_better_challenger_is_promoted() -> None:
    losses = daily_losses(scores(80, 0.8, 0.1), "har", "lstm")
    decision = decide_promotion("rv_1d", 1, "har", "lstm", losses, PromotionRule(mcs_reps=200))
    assert decision.promote, decision.reason
    assert decision.days == 60 and decision.last_day == losses.index[-1].date()
    assert decision.challenger_qlike < decision.champion_qlike and decision.dm_p_value < 0.05


def test_a_tie_or_a_worse_challenger_changes_nothing() -> None:
    tie = decide_promotion(
        "rv_1d", 1, "har", "lstm", daily_losses(scores(80, 0.3, 0.3, seed=3), "har", "lstm")
    )
    assert not tie.promote and ("not significant" in tie.reason or "not lower" in tie.reason)
    worse = decide_promotion("rv_1d", 1, "har", "lstm", daily_losses(scores(80, 0.1, 0.8), "har", "lstm"))
    assert not worse.promote and worse.reason == "challenger's QLIKE is not lower"


def test_too_few_shadow_days_is_no_decision() -> None:
    decision = decide_promotion("rv_5d", 5, "har", "lstm", daily_losses(scores(10, 0.8, 0.1), "har", "lstm"))
    assert not decision.promote and decision.reason.startswith("only 10 shadow days")
    assert decision.as_row()["rule_days"] == 60


def test_days_scored_for_one_model_only_are_not_compared() -> None:
    frame = scores(70, 0.8, 0.1)
    last_ten = frame["date"].isin(sorted(frame["date"].unique())[-10:])
    frame = frame[~((frame["model"] == "lstm") & last_ten)]
    losses = daily_losses(frame, "har", "lstm")
    assert losses.notna().all().all() and len(losses) == 70 - 10


def test_rule_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="min_days"):
        PromotionRule(days=10, min_days=20)
