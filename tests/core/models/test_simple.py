"""Random walk and EWMA on small hand-computed examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forge_core.models import EwmaModel, ForecastTask, RandomWalkModel


def rows(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=len(values)), "parkinson_d": values})


def flat_history(level: float, n: int = 40) -> tuple[pd.DataFrame, pd.Series]:
    train = rows([level] * n)
    return train, pd.Series(level, index=train.index)


def test_random_walk_is_the_mean_of_the_last_h_proxies() -> None:
    model = RandomWalkModel(ForecastTask(3, "parkinson")).fit(*flat_history(1.0))
    np.testing.assert_array_equal(model.predict(rows([1, 2, 3, 4, 8])), [np.nan, np.nan, 2, 3, 5])
    one_day = RandomWalkModel(ForecastTask(1, "parkinson")).fit(*flat_history(1.0))
    np.testing.assert_array_equal(one_day.predict(rows([1, 2, 3])), [1, 2, 3])


@pytest.mark.parametrize("horizon", [1, 22])
def test_ewma_recursion_from_the_training_mean(horizon: int) -> None:
    model = EwmaModel(ForecastTask(horizon, "parkinson"), decay=0.5).fit(*flat_history(2.0))
    assert model.state.initial_variance == 2.0
    # s_0 = 0.5 * 2 + 0.5 * 4 = 3, s_1 = 0.5 * 3 + 0.5 * 0 = 1.5, s_2 = 0.5 * 1.5 + 0.5 * 2 = 1.75; flat in h
    np.testing.assert_allclose(model.predict(rows([4, 0, 2])), [3.0, 1.5, 1.75], rtol=1e-15)


def test_ewma_default_is_riskmetrics() -> None:
    model = EwmaModel(ForecastTask(1, "parkinson"))
    assert model.hyper.decay == 0.94
    with pytest.raises(ValueError, match="decay"):
        EwmaModel(ForecastTask(1, "parkinson"), decay=1.0)
