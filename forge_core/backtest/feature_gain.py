r"""What a feature set brings: every feature variant (``forge_core.models.variants``) against the model it differs
from, per symbol and target, on the days both forecast and the target realised positive.

With QLIKE losses L of the model without (a) and with (b) the sets,

.. math::

    \text{ratio} = \bar L_b / \bar L_a, \qquad \text{DM} = \text{Diebold-Mariano}(L_b - L_a),

HLN-corrected with HAC lag h - 1 (``forge_core.evaluation.diebold_mariano``): a ratio below 1 with a small
p-value is a significant gain. MSE on the variance is reported beside it.
"""

from __future__ import annotations

import pandas as pd

from forge_core.evaluation.diebold_mariano import diebold_mariano
from forge_core.evaluation.losses import qlike
from forge_core.models.variants import ModelVariant

GAIN_COLUMNS = [
    "symbol", "target", "family", "sets", "without", "with", "n", "first_day", "last_day",
    "qlike_without", "qlike_with", "qlike_ratio", "mse_ratio", "dm_statistic", "dm_p_value",
]  # fmt: skip


def feature_gain(realised: pd.DataFrame) -> pd.DataFrame:
    """One row per (symbol, target, variant) of ``realised`` (``symbol, date, target, horizon, model, forecast,
    realised``, as ``load_realised`` gives) whose partner model is present too; empty when there is none."""
    records = []
    models = set(realised["model"].unique())
    for name in sorted(models):
        variant = ModelVariant.parse(str(name))
        pair = variant.compared
        if pair is None or not set(pair) <= models:
            continue
        without, with_sets = pair
        rows = realised[realised["model"].isin(pair)]
        for (symbol, target), mine in rows.groupby(["symbol", "target"], sort=True):
            wide = mine.pivot_table(index="date", columns="model", values="forecast", aggfunc="first")
            truth = mine.groupby("date")["realised"].first()
            both = wide.reindex(columns=list(pair)).join(truth).dropna()
            both = both[both["realised"] > 0]
            horizon = int(mine["horizon"].iloc[0])
            if len(both) <= horizon + 1:
                continue
            y = both["realised"].to_numpy()
            loss_a, loss_b = qlike(y, both[without].to_numpy()), qlike(y, both[with_sets].to_numpy())
            mse_a = ((y - both[without].to_numpy()) ** 2).mean()
            mse_b = ((y - both[with_sets].to_numpy()) ** 2).mean()
            dm = diebold_mariano(loss_b, loss_a, horizon)
            records.append(
                {
                    "symbol": symbol,
                    "target": target,
                    "family": variant.family,
                    "sets": ",".join(variant.sets),
                    "without": without,
                    "with": with_sets,
                    "n": len(both),
                    "first_day": both.index.min().date(),
                    "last_day": both.index.max().date(),
                    "qlike_without": float(loss_a.mean()),
                    "qlike_with": float(loss_b.mean()),
                    "qlike_ratio": float(loss_b.mean() / loss_a.mean()),
                    "mse_ratio": float(mse_b / mse_a),
                    "dm_statistic": dm.statistic,
                    "dm_p_value": dm.p_value,
                }
            )
    return pd.DataFrame(records, columns=GAIN_COLUMNS)


def gain_summary(gain: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per family, sets and target: the mean QLIKE ratio and how many symbols gained or lost significantly."""
    significant = gain["dm_p_value"] < alpha
    return (
        gain.assign(
            better=significant & (gain["qlike_ratio"] < 1), worse=significant & (gain["qlike_ratio"] > 1)
        )
        .groupby(["family", "sets", "target"], sort=True)
        .agg(
            qlike_ratio=("qlike_ratio", "mean"),
            symbols=("symbol", "count"),
            significantly_better=("better", "sum"),
            significantly_worse=("worse", "sum"),
        )
        .reset_index()
    )
