"""TorchModel behind the shared interface: registry, params, persistence, no look-ahead, validation split."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forge_core.models import MODEL_REGISTRY, create_model, load_model
from forge_core.models.torch_model import TorchModel
from tests.core.nets.conftest import FAMILIES, TASK, TINY, TRAIN_ROWS


@pytest.mark.parametrize("family", FAMILIES)
def test_registry_creates_every_family_with_json_params(family: str, fitted: dict[str, TorchModel]) -> None:
    model = create_model(family, TASK)
    assert type(model) is MODEL_REGISTRY[family] and model.family == family
    assert model.params()["epochs"] == 30
    trained = fitted[family].params()
    assert json.loads(json.dumps(trained, allow_nan=False)) == trained
    assert {"epochs_run", "best_valid_loss", "n_features"} <= set(trained)
    columns = fitted[family].feature_columns()
    assert columns is not None and len(columns) == trained["n_features"] and columns[0] == "log_parkinson_d"
    assert model.feature_columns() is None
    assert (trained["family"], trained["horizon"], trained["proxy"]) == (family, TASK.horizon, TASK.proxy)


def test_bad_params_are_refused() -> None:
    with pytest.raises(ValueError, match="schedule"):
        create_model("lstm", TASK, schedule="step")
    with pytest.raises(ValueError, match="loss"):
        create_model("mlp", TASK, loss="mse")
    with pytest.raises(ValueError, match="unknown params"):
        create_model("mlp", TASK, seq_len=5)
    with pytest.raises(ValueError, match="n_kv_heads"):
        create_model("transformer", TASK, n_heads=4, n_kv_heads=3)
    with pytest.raises(ValueError, match="kernel_size"):
        create_model("tcn", TASK, kernel_size=1)


@pytest.mark.parametrize("family", FAMILIES)
def test_save_load_reproduces_predictions_exactly(
    family: str, fitted: dict[str, TorchModel], panel: pd.DataFrame, tmp_path: Path
) -> None:
    model = fitted[family]
    path = tmp_path / f"{family}.json"
    model.save(path)
    weights = torch.load(path.with_suffix(".pt"), weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in weights.values())
    for loaded in (type(model).load(path), load_model(path)):
        assert type(loaded) is type(model)
        assert loaded.params() == model.params()
        assert loaded.history == model.history
        np.testing.assert_array_equal(loaded.predict(panel), model.predict(panel))
        pd.testing.assert_frame_equal(loaded.predict_quantiles(panel), model.predict_quantiles(panel))


@pytest.mark.parametrize("family", FAMILIES)
def test_no_look_ahead(family: str, fitted: dict[str, TorchModel], panel: pd.DataFrame) -> None:
    model = fitted[family]
    full = model.predict(panel)
    warm_up = model.seq_len + 21  # the 22-day HAR mean, then seq_len days of it
    assert np.isnan(full[: warm_up - 1]).all() and np.isfinite(full[warm_up - 1 :]).all()
    numeric = panel.select_dtypes("number").columns
    rng = np.random.default_rng(7)
    for cut in (5, 40, 1030, 2500):
        np.testing.assert_array_equal(model.predict(panel.iloc[:cut]), full[:cut])
        changed = panel.copy()
        changed.loc[cut:, numeric] *= rng.uniform(0.1, 10.0, size=(len(panel) - cut, len(numeric)))
        np.testing.assert_array_equal(model.predict(changed)[:cut], full[:cut])
        later = model.predict_quantiles(changed).iloc[:cut]
        pd.testing.assert_frame_equal(later, model.predict_quantiles(panel).iloc[:cut])


def test_training_ignores_rows_after_the_cut_off(fitted: dict[str, TorchModel], panel: pd.DataFrame) -> None:
    changed = panel.copy()
    changed.loc[TRAIN_ROWS:, ["log_parkinson_d", "volume_z", "target_value"]] *= 3.0
    train = changed.iloc[:TRAIN_ROWS]
    model = create_model("mlp", TASK, **TINY).fit(train, train["target_value"])
    reference = fitted["mlp"]
    assert model.scaler == reference.scaler
    assert model.net is not None and reference.net is not None
    for (name, a), b in zip(model.net.state_dict().items(), reference.net.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_purged_validation_tail_and_explicit_validation(panel: pd.DataFrame) -> None:
    train = panel.iloc[:1000]
    model = create_model("mlp", TASK, epochs=1, valid_fraction=0.2).fit(train, train["target_value"])
    usable = int(
        (train[["log_parkinson_m", "neg_return_m"]].notna().all(axis=1) & train["target_value"].notna()).sum()
    )
    n_valid = math.ceil(0.2 * usable)
    assert (model.state.n_valid, model.state.n_fit) == (n_valid, usable - n_valid - TASK.horizon)
    valid = panel.iloc[1000:1300]
    model.fit(train, train["target_value"], valid=(valid, valid["target_value"]))
    assert model.state.n_fit == usable
    assert model.state.n_valid == valid["target_value"].notna().sum()


def test_log_mse_forecast_carries_the_lognormal_bias_correction(panel: pd.DataFrame) -> None:
    train = panel.iloc[:1000]
    model = create_model("mlp", TASK, epochs=3, loss="log_mse").fit(train, train["target_value"])
    assert 0 < model.state.bias_var < 2
    s, _ = model._outputs(panel)
    np.testing.assert_allclose(model.predict(panel), np.exp(s + 0.5 * model.state.bias_var))
