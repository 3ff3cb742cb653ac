"""Model confidence set of Hansen, Lunde and Nason (2011), via ``arch.bootstrap.MCS`` (imported when a set is
computed: importing ``arch`` loads matplotlib when installed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ModelConfidenceSetResult:
    """Models kept (MCS p-value > ``size``) and eliminated, with the MCS p-value of every model."""

    included: list[str]
    excluded: list[str]
    pvalues: dict[str, float]
    size: float


def default_block_size(n_obs: int, horizon: int = 1) -> int:
    """Mean block length of the stationary bootstrap: max(h, floor(n^(1/3)), 1).

    n^(1/3) is the usual rate for block bootstraps of a mean; losses of overlapping h-day targets are
    autocorrelated up to lag h - 1, so blocks are never shorter than h.
    """
    return max(horizon, int(np.cbrt(n_obs)), 1)


def model_confidence_set(
    losses: pd.DataFrame,
    size: float = 0.10,
    *,
    block_size: int | None = None,
    reps: int = 1000,
    seed: int = 0,
) -> ModelConfidenceSetResult:
    """The (1 - ``size``) MCS of the models (columns) given their per-day losses (rows).

    Range statistic T_R = max_{i,j} |d̄_ij| / sqrt(var(d̄_ij)) (method "R"), variances and the null distribution
    from ``reps`` stationary-bootstrap resamples with mean block length ``block_size`` (default
    :func:`default_block_size`).  The worst model is eliminated while the p-value is <= ``size``; a model's MCS
    p-value is the largest elimination p-value up to its own.  Deterministic for a given ``seed``.
    A single model is trivially the set, with p-value 1. Models with the very same losses on every day (an ensemble
    that picked one member, say) cannot be ranked against each other: they are tested once and share a p-value.
    """
    from arch.bootstrap import MCS

    if not 0.0 < size < 1.0:
        raise ValueError(f"size must be in (0, 1), got {size}")
    if losses.shape[1] == 0 or losses.shape[0] < 2:
        raise ValueError(f"losses must have at least one model and two days, got shape {losses.shape}")
    if not np.isfinite(losses.to_numpy(dtype=float)).all():
        raise ValueError("losses contain non-finite values; drop those days first")
    names = [str(column) for column in losses.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique, got {names}")
    block = default_block_size(len(losses)) if block_size is None else block_size
    if block < 1:
        raise ValueError(f"block_size must be >= 1, got {block}")
    _, first, group = np.unique(losses.to_numpy(dtype=float), axis=1, return_index=True, return_inverse=True)
    distinct = [names[i] for i in first]
    tested = {distinct[0]: 1.0}
    if len(distinct) > 1:
        mcs = MCS(
            losses.iloc[:, first].set_axis(distinct, axis=1),
            size,
            reps=reps,
            block_size=block,
            method="R",
            bootstrap="stationary",
            seed=seed,
        )
        mcs.compute()
        tested = {str(name): float(p) for name, p in mcs.pvalues["Pvalue"].items()}
    pvalues = {name: tested[distinct[g]] for name, g in zip(names, group.ravel(), strict=True)}
    included = [name for name in names if pvalues[name] > size]
    excluded = [name for name in names if pvalues[name] <= size]
    return ModelConfidenceSetResult(included=included, excluded=excluded, pvalues=pvalues, size=size)
