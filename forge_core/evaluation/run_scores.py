"""Scores a tracked run logs beside its own losses: the MSE ratio to a benchmark on the same days, and the realised
coverage and width of calibrated bands. Frames in, frames out; a row whose realised target is unknown (NaN) or zero
(no log score: a day with high == low) is not scored, as in every loss of a run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forge_core.evaluation.losses import mse

KEYS = ("symbol", "date")
BENCHMARK = "har"  # the model every other is measured against (design: scores as ratios to HAR)


def level_metric(name: str, level: float) -> str:
    """The metric of a band level: ``coverage_0.95`` for ``name`` ``coverage`` and ``level`` 0.95."""
    return f"{name}_{level:g}"


def _paired_errors(
    scored: pd.DataFrame, benchmark: pd.DataFrame, on: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``scored`` with a realised value > 0 that ``benchmark`` forecasts too, and their squared errors
    (columns ``model`` and ``benchmark``)."""
    other = benchmark[[*on, "forecast"]].rename(columns={"forecast": "benchmark"})
    paired = scored.merge(other, on=list(on))
    paired = paired[paired["realised"] > 0]
    y = paired["realised"].to_numpy(dtype=float)
    errors = pd.DataFrame(
        {"model": mse(y, paired["forecast"]), "benchmark": mse(y, paired["benchmark"])}, index=paired.index
    )
    return paired, errors


def mse_ratios(
    scored: pd.DataFrame, benchmark: pd.DataFrame, by: Sequence[str], on: Sequence[str] = KEYS
) -> pd.Series:
    """Per group of ``by``, the MSE of ``scored``'s forecasts over the benchmark's on the same rows,

    .. math:: R = \\frac{\\sum_i (y_i - f_i)^2}{\\sum_i (y_i - b_i)^2},

    over the group's rows :math:`i` with a realised :math:`y_i > 0` whose ``on`` keys ``benchmark`` forecasts too
    (:math:`b_i`): a ratio of means over the same days. ``scored``: ``on``, ``by``, ``forecast``, ``realised``;
    ``benchmark``: ``on`` (unique), ``forecast``. A group sharing no row with the benchmark is absent."""
    paired, errors = _paired_errors(scored, benchmark, on)
    sums = errors.groupby([paired[column] for column in by]).sum()
    return (sums["model"] / sums["benchmark"]).rename("mse_ratio")


def mse_ratio(scored: pd.DataFrame, benchmark: pd.DataFrame, on: Sequence[str] = KEYS) -> float | None:
    """``mse_ratios`` of the whole of ``scored`` as one group; None when it shares no scored row with the
    benchmark."""
    _, errors = _paired_errors(scored, benchmark, on)
    if errors.empty:
        return None
    return float(errors["model"].sum() / errors["benchmark"].sum())


def band_scores(bands: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per group of ``by`` and band ``level``: the realised ``coverage`` and the mean ``log_width`` of the bands,

    .. math:: C = \\frac1n \\sum_i 1\\{\\ell_i \\le y_i \\le u_i\\}, \\qquad
              W = \\frac1n \\sum_i \\log(u_i / \\ell_i),

    over the group's :math:`n` rows with a realised :math:`y_i > 0`. ``bands``: ``by``, ``level``, ``lower``,
    ``upper`` (> 0), ``realised``, one row per day and level. Indexed by ``by`` and ``level``."""
    known = bands[bands["realised"] > 0]
    y = known["realised"].to_numpy(dtype=float)
    lower, upper = known["lower"].to_numpy(dtype=float), known["upper"].to_numpy(dtype=float)
    scored = pd.DataFrame(
        {"coverage": (lower <= y) & (y <= upper), "log_width": np.log(upper / lower)}, index=known.index
    )
    return scored.groupby([known[column] for column in [*by, "level"]]).mean()


def window_run_scores(forecasts: pd.DataFrame, bands: pd.DataFrame, benchmark: str = "har") -> pd.DataFrame:
    """What each (model, symbol, window) fit run logs once its window's bands are calibrated: one row per
    ``model, symbol, window_start`` with ``oos_mse_ratio_<benchmark>`` (``mse_ratios`` against ``benchmark``'s
    forecasts of the same symbol-days) and, per band level, ``coverage_<level>`` and ``log_width_<level>``
    (``band_scores``); NaN where a model has none (no benchmark day, no band).

    ``forecasts``: ``symbol, date, model, window_start, forecast, realised``; ``bands``: ``symbol, date, model,
    window_start, level, lower, upper, realised`` (the bands of one calibration method)."""
    by = ["model", "symbol", "window_start"]
    ratios = mse_ratios(forecasts, forecasts[forecasts["model"] == benchmark], by)
    columns = [ratios.rename(f"oos_mse_ratio_{benchmark}")]
    scored = band_scores(bands, by)
    for level in sorted(scored.index.get_level_values("level").unique()):
        mine = scored.xs(level, level="level")
        columns += [mine[name].rename(level_metric(name, level)) for name in ("coverage", "log_width")]
    table = pd.concat(columns, axis=1)
    table.index.names = by
    return table
