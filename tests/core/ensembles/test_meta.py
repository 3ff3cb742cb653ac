"""The meta-combiner: seeded and deterministic, context-aware, with a calibrated uncertainty head."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from forge_core.ensembles import Combination, create_combiner
from forge_core.evaluation.losses import qlike
from tests.core.ensembles._panels import contextual_panel, synthetic_panel

FAST = {"steps": 100, "refit_steps": 30}


def test_deterministic_for_a_seed() -> None:
    panel = synthetic_panel(400, 4, seed=3, context=True)
    first, again = (create_combiner("meta", **FAST).combine(panel) for _ in range(2))
    np.testing.assert_array_equal(first.weights.to_numpy(), again.weights.to_numpy())
    assert first.log_std is not None and again.log_std is not None
    np.testing.assert_array_equal(first.log_std.to_numpy(), again.log_std.to_numpy())
    other = create_combiner("meta", **FAST, seed=1).combine(panel)
    assert not np.array_equal(first.weights.to_numpy(), other.weights.to_numpy())


def test_context_aware_weights_beat_equal_weights() -> None:
    panel = contextual_panel(800)
    meta = create_combiner("meta", **FAST).combine(panel, refit_every="Q")
    start = meta.fallback_days
    assert start == 60
    y = panel.realised.to_numpy()[start:]

    def score(result: Combination) -> float:
        return float(qlike(y, result.variance.to_numpy()[start:]).mean())

    for baseline in ("equal", "equal_log", "stacking"):
        assert score(meta) < 0.9 * score(create_combiner(baseline).combine(panel))
    assert panel.context is not None
    c, w0 = panel.context["c0"].to_numpy()[start:], meta.weights["m0"].to_numpy()[start:]
    # m0 is accurate where c0 > 0: its weight follows c0 (the shrinkage towards equal weights keeps both sides
    # away from 0 and 1: measured 0.63 against 0.30)
    assert w0[c > 0].mean() > 0.55 and w0[c <= 0].mean() < 0.4

    # the uncertainty head: log y ~ N(log v - s^2/2, s^2) out of sample; the log of the gamma noise has a long
    # left tail, so a normal 90% interval covers a little less
    assert meta.log_std is not None
    s = meta.log_std.to_numpy()
    assert np.isnan(s[:start]).all() and (s[start:] > 0).all()
    z = (np.log(y) - np.log(meta.variance.to_numpy()[start:]) + s[start:] ** 2 / 2) / s[start:]
    assert 0.8 < np.mean(z**2) < 1.5 and 0.83 < np.mean(np.abs(z) < 1.645) < 0.95


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_trains_on_the_callers_device() -> None:
    panel = contextual_panel(400)
    on_gpu = create_combiner("meta", device="cuda", **FAST).combine(panel)
    on_cpu = create_combiner("meta", **FAST).combine(panel)
    np.testing.assert_allclose(on_gpu.weights.to_numpy(), on_cpu.weights.to_numpy(), atol=0.05)
