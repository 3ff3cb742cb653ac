"""The drivers of a published forecast: each symbol's top features with their signed contributions to the
champion's log-variance forecast of the day (``forecast_drivers``).

A family set explains its symbol's model on that day's row against the symbol's recent rows (``explain``). An
ensemble that combines in logs, :math:`\\log \\hat v = \\sum_m w_m \\log \\hat v_m`, has exactly additive
contributions :math:`\\phi_j = \\sum_m w_m \\phi_{m,j}` (and base :math:`\\sum_m w_m \\phi_{m,0}`) when every member
can be explained; a level-space ensemble or a recursion (GARCH, EWMA, sequence nets) has no one-row explanation, and
gets none (``unexplained`` says why). The published point is the raw forecast times the calibration's correction
:math:`e^{\\mu}` (one number per symbol until the next retraining), so :math:`\\mu` joins the base: the
contributions add up to the log of the published point.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce

import numpy as np
import pandas as pd

from forge_core.explain.shap_values import Explanation, FloatArray, explain
from forge_core.live.fitted_set import FittedSet

TOP_DRIVERS = 3
BACKGROUND_DAYS = 250
DRIVER_COLUMNS = ["symbol", "rank", "feature", "value", "contribution", "base", "output"]


def unexplained(fitted: FittedSet) -> str | None:
    """Why ``fitted``'s forecasts cannot be explained row by row, or None when they can."""
    if fitted.is_ensemble:
        if fitted.space != "log":
            return f"{fitted.member} combines in levels: contributions to the log forecast do not add up"
        reasons = [r for r in (unexplained(m) for m in fitted.member_sets.values()) if r]
        return "; ".join(reasons) or None
    model = next(iter(fitted.models.values()), None)
    if model is None or model.feature_columns() is None or model.rows_needed() != 1:
        return f"{fitted.member}: its forecast of a day reads more than that day's row"
    return None


def _explain_symbol(fitted: FittedSet, symbol: str, history: pd.DataFrame) -> Explanation:
    """The symbol's explanation on the last row of ``history`` (a family's own; an ensemble's, weighted)."""
    background, row = history.iloc[:-1].tail(BACKGROUND_DAYS), history.iloc[[-1]]
    if not fitted.is_ensemble:
        return explain(fitted.models[symbol], background, row)
    weights = fitted.symbols[symbol].weights
    parts = [
        (weights.get(name, 0.0), _explain_symbol(m, symbol, history))
        for name, m in fitted.member_sets.items()
    ]
    contributions = reduce(
        lambda a, b: a.add(b, fill_value=0.0), (w * e.contributions for w, e in parts)
    )  # members read different columns (levels, logs): a column a member does not read contributes nothing to it
    output: FloatArray = np.sum([w * e.output for w, e in parts], axis=0)
    return Explanation(contributions, float(sum(w * e.base for w, e in parts)), output)


def forecast_drivers(
    fitted: FittedSet, histories: Mapping[str, pd.DataFrame], top: int = TOP_DRIVERS
) -> pd.DataFrame:
    """``DRIVER_COLUMNS`` rows: per symbol of ``histories`` (feature rows up to the day), the ``top`` features by
    absolute contribution, with the feature's value that day, the base value and the explained log forecast.
    ValueError with ``unexplained``'s reason for a set that cannot be explained."""
    reason = unexplained(fitted)
    if reason is not None:
        raise ValueError(reason)
    frames = []
    for symbol, history in histories.items():
        explanation = _explain_symbol(fitted, symbol, history)
        ranked = explanation.top(top)
        last, correction = history.iloc[-1], fitted.symbols[symbol].log_point
        frames.append(
            ranked.assign(
                symbol=symbol,
                value=[float(last[f]) for f in ranked["feature"]],
                base=explanation.base + correction,
                output=float(explanation.output[0]) + correction,
            )
        )
    if not frames:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    return pd.concat(frames, ignore_index=True)[DRIVER_COLUMNS]
