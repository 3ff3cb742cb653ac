"""Model confidence set through arch.bootstrap.MCS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.evaluation import default_block_size, model_confidence_set


def _losses(seed: int = 3, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    common = rng.exponential(size=n)
    return pd.DataFrame(
        {
            "har": common + 0.05 * rng.standard_normal(n),
            "log_har": common + 0.05 * rng.standard_normal(n),
            "garch": common + 1.0 + 0.05 * rng.standard_normal(n),
        }
    )


def test_a_clearly_worse_model_is_excluded() -> None:
    result = model_confidence_set(_losses(), 0.10)
    assert result.included == ["har", "log_har"]
    assert result.excluded == ["garch"]
    assert result.pvalues["garch"] <= 0.10 < min(result.pvalues["har"], result.pvalues["log_har"])
    assert max(result.pvalues.values()) == 1.0
    assert result.size == 0.10


def test_deterministic_for_a_seed() -> None:
    losses = _losses()
    first = model_confidence_set(losses, block_size=5, reps=300, seed=7)
    assert model_confidence_set(losses, block_size=5, reps=300, seed=7) == first


def test_a_single_model_is_the_set() -> None:
    result = model_confidence_set(_losses()[["har"]])
    assert (result.included, result.excluded, result.pvalues) == (["har"], [], {"har": 1.0})


def test_default_block_size() -> None:
    assert default_block_size(1000) == 10
    assert default_block_size(1000, horizon=22) == 22


def test_non_finite_losses_are_rejected() -> None:
    losses = _losses()
    losses.iloc[4, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        model_confidence_set(losses)


def test_models_with_identical_losses_are_tested_once_and_share_a_pvalue() -> None:
    losses = _losses().assign(ensemble_best_recent=lambda f: f["garch"], copy_of_har=lambda f: f["har"])
    result = model_confidence_set(losses, 0.10)  # arch's MCS alone fails on identical columns
    assert result.pvalues["ensemble_best_recent"] == result.pvalues["garch"] <= 0.10
    assert result.pvalues["copy_of_har"] == result.pvalues["har"] > 0.10
    assert set(result.included) == {"har", "log_har", "copy_of_har"}
    alone = model_confidence_set(losses[["har", "copy_of_har"]], 0.10)
    assert alone.included == ["har", "copy_of_har"] and set(alone.pvalues.values()) == {1.0}
