"""CUDA with bf16 autocast (skipped without a GPU)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from forge_core.models import Runtime, create_model
from forge_core.models.torch_model import TorchModel
from tests.core.nets.conftest import FAMILIES, TASK, tiny_params


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("family", FAMILIES)
def test_bf16_training_on_cuda(family: str, panel: pd.DataFrame) -> None:
    train = panel.iloc[:1500]
    runtime = Runtime(device="cuda", precision="bf16")
    model = create_model(family, TASK, runtime, **{**tiny_params(family), "epochs": 3})
    assert isinstance(model, TorchModel)
    model.fit(train, train["target_value"])
    assert model.net is not None and next(model.net.parameters()).device.type == "cuda"
    dtypes: list[torch.dtype] = []
    model.net.head.linear.register_forward_hook(lambda _m, _i, out: dtypes.append(out.dtype))
    forecast = model.predict(panel)
    assert dtypes and set(dtypes) == {torch.bfloat16}  # the head's matmul ran under autocast
    assert np.isfinite(forecast[40:]).all() and (forecast[40:] > 0).all()
    q = model.predict_quantiles(panel).to_numpy()[40:]
    assert np.all(np.diff(q, axis=1) > 0)
