"""Model comparison tables: losses, ratios to benchmarks, DM p-values, MCS membership and MZ fit per model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forge_core.evaluation.diebold_mariano import diebold_mariano
from forge_core.evaluation.losses import mse, qlike
from forge_core.evaluation.mcs import default_block_size, model_confidence_set
from forge_core.evaluation.mincer_zarnowitz import mincer_zarnowitz


def _common_days(y: pd.Series, forecasts: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    if not y.index.equals(forecasts.index):
        raise ValueError("y and forecasts must share the same index")
    complete = y.notna() & forecasts.notna().all(axis=1)
    return y[complete], forecasts[complete]


def compare_forecasts(
    y: pd.Series,
    forecasts: pd.DataFrame,
    horizon: int,
    *,
    benchmark: str = "har",
    second_benchmark: str = "log_har",
    mcs_size: float = 0.10,
    seed: int = 0,
    qlike_floor: float | None = None,
) -> pd.DataFrame:
    """One row per model (column of ``forecasts``), all scored on the days where y and every forecast exist.

    Columns: n, mse, qlike (means), mse_ratio and qlike_ratio (model / ``benchmark``), dm_p_vs_<benchmark>
    and dm_p_vs_<second_benchmark> (HLN Diebold-Mariano p-values on QLIKE losses), in_mcs (in the
    (1 - ``mcs_size``) model confidence set of QLIKE losses, block length max(h, n^(1/3))), mz_beta and
    mz_r2 (Mincer-Zarnowitz).  A benchmark that is not a column leaves its columns NaN.  With a
    ``qlike_floor`` (see :func:`~forge_core.evaluation.noise_floor.qlike_noise_floor`) a reducible_qlike
    column = qlike - floor is added.
    """
    y_common, f_common = _common_days(y, forecasts)
    n = len(y_common)
    qlike_losses = pd.DataFrame({model: qlike(y_common, f_common[model]) for model in f_common.columns})
    mse_losses = pd.DataFrame({model: mse(y_common, f_common[model]) for model in f_common.columns})
    mcs = model_confidence_set(qlike_losses, mcs_size, block_size=default_block_size(n, horizon), seed=seed)
    rows = {}
    for model in f_common.columns:
        mz = mincer_zarnowitz(y_common, f_common[model], horizon)
        mean_qlike = float(qlike_losses[model].mean())
        row: dict[str, object] = {"n": n, "mse": float(mse_losses[model].mean()), "qlike": mean_qlike}
        for name, losses in (("mse", mse_losses), ("qlike", qlike_losses)):
            row[f"{name}_ratio"] = (
                losses[model].mean() / losses[benchmark].mean() if benchmark in losses else np.nan
            )
        for other in (benchmark, second_benchmark):
            row[f"dm_p_vs_{other}"] = (
                diebold_mariano(qlike_losses[model], qlike_losses[other], horizon).p_value
                if other in qlike_losses
                else np.nan
            )
        row |= {"in_mcs": str(model) in mcs.included, "mz_beta": mz.beta, "mz_r2": mz.r_squared}
        if qlike_floor is not None:
            row["reducible_qlike"] = mean_qlike - qlike_floor
        rows[model] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def by_year(
    y: pd.Series,
    forecasts: pd.DataFrame,
    horizon: int,
    *,
    min_days: int = 50,
    benchmark: str = "har",
    second_benchmark: str = "log_har",
    mcs_size: float = 0.10,
    seed: int = 0,
    qlike_floor: float | None = None,
) -> pd.DataFrame:
    """:func:`compare_forecasts` per calendar year of the (DatetimeIndex) index, stacked with a ``year`` column.

    Days are first restricted to those complete for every model; years with fewer than ``min_days`` such days
    are left out.
    """
    if not isinstance(y.index, pd.DatetimeIndex):
        raise ValueError("by_year needs y indexed by a DatetimeIndex")
    y_common, f_common = _common_days(y, forecasts)
    years = y_common.index.year
    tables = []
    for year in sorted(set(years)):
        in_year = years == year
        if in_year.sum() < min_days:
            continue
        table = compare_forecasts(
            y_common[in_year],
            f_common[in_year],
            horizon,
            benchmark=benchmark,
            second_benchmark=second_benchmark,
            mcs_size=mcs_size,
            seed=seed,
            qlike_floor=qlike_floor,
        )
        tables.append(table.assign(year=year))
    if not tables:
        raise ValueError(f"no calendar year has {min_days} complete days")
    stacked = pd.concat(tables)
    return stacked[["year", *stacked.columns.drop("year")]]
