"""Features, layers, heads and losses in isolation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from forge_core.nets.architectures import QuantileHead, TCNNet, tcn_levels
from forge_core.nets.inputs import Scaler, required_columns, windows
from forge_core.nets.layers import GroupedQueryAttention, RMSNorm
from forge_core.nets.training_losses import pinball, point_loss
from forge_core.quantiles import QUANTILE_LEVELS
from tests.core.nets.conftest import TASK


def test_scaler_uses_training_rows_only_and_fills_optional_gaps(panel: pd.DataFrame) -> None:
    train = panel.iloc[:1000].copy()
    train.loc[100:199, "vix_level"] = np.nan
    scaler = Scaler.fit(train, TASK.proxy)
    assert scaler.columns[:3] == ("log_parkinson_d", "log_parkinson_w", "log_parkinson_m")
    assert list(scaler.columns[: scaler.n_required]) == required_columns(panel, TASK.proxy)
    assert {"volume_z", "vix_level", "vix_change"} <= set(scaler.columns)
    i = scaler.columns.index("vix_level")
    median = float(np.nanmedian(train["vix_level"]))
    assert scaler.fill[i] == median
    complete = train[required_columns(panel, TASK.proxy)].notna().all(axis=1).to_numpy()
    filled = train["vix_level"].fillna(median).to_numpy()[complete]
    assert scaler.mean[i] == pytest.approx(filled.mean())
    assert scaler.sd[i] == pytest.approx(filled.std())
    changed = panel.copy()
    changed.loc[1000:, "vix_level"] *= 10.0
    assert Scaler.fit(changed.iloc[:1000].assign(vix_level=train["vix_level"]), TASK.proxy) == scaler
    assert Scaler.from_dict(scaler.to_dict()) == scaler
    x, ok = scaler.transform(panel)
    assert x.dtype == np.float32 and np.isfinite(x).all()
    assert not ok[:21].any() and ok[21:].all()  # the 22-day HAR mean needs 22 rows
    no_vix = Scaler.fit(train.assign(vix_level=np.nan, vix_change=np.nan), TASK.proxy)
    assert "vix_level" not in no_vix.columns
    assert "regime_turbulent" not in scaler.columns  # no regimes stored: not an input
    regime = np.where(np.arange(len(train)) >= 500, np.linspace(0.0, 1.0, len(train)), np.nan)
    with_regime = Scaler.fit(train.assign(regime_turbulent=regime), TASK.proxy)
    assert with_regime.columns[-1] == "regime_turbulent"  # an input once regimes cover training rows


def test_windows_hold_the_last_days_and_skip_incomplete_history() -> None:
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    ok = np.ones(10, dtype=bool)
    ok[4] = False
    rows, win = windows(x, ok, 3)
    assert rows.tolist() == [2, 3, 7, 8, 9]  # the windows ending on rows 4, 5 and 6 hold the bad row 4
    np.testing.assert_array_equal(win[2], x[5:8])
    assert win.flags["C_CONTIGUOUS"]
    assert windows(x[:2], ok[:2], 3)[1].shape == (0, 3, 2)


def test_head_initialises_at_the_given_quantiles_and_never_crosses() -> None:
    head = QuantileHead(4)
    target = np.array([-2.0, -1.2, 0.1, 1.0, 1.9])
    head.initialise(0.3, target)
    s, q = head(torch.zeros(1, 4))
    assert s.item() == pytest.approx(0.3)
    np.testing.assert_allclose(q[0].detach().numpy(), target, atol=1e-5)
    extreme = head(100.0 * torch.randn(256, 4))[1]  # softplus far in its flat tail: gaps of MIN_GAP
    assert torch.all(torch.diff(extreme, dim=1) > 0)
    assert len(QUANTILE_LEVELS) == q.shape[1]


def test_attention_and_convolutions_are_causal() -> None:
    torch.manual_seed(0)
    attention = GroupedQueryAttention(16, n_heads=4, n_kv_heads=2, dropout=0.0)
    tcn = TCNNet(3, 8, seq_len=22, kernel_size=3, dropout=0.0).eval()
    assert 1 + 2 * 2 * (2 ** tcn_levels(22, 3) - 1) >= 22 > 1 + 2 * 2 * (2 ** (tcn_levels(22, 3) - 1) - 1)
    x = torch.randn(2, 10, 16)
    later = x.clone()
    later[:, 6:] = torch.randn(2, 4, 16)
    torch.testing.assert_close(attention(x)[:, :6], attention(later)[:, :6])
    z = torch.randn(2, 22, 3)
    project = tcn.blocks(tcn.project(z.transpose(1, 2)))
    z_later = z.clone()
    z_later[:, 15:] = 0.0
    torch.testing.assert_close(
        project[:, :, :15], tcn.blocks(tcn.project(z_later.transpose(1, 2)))[:, :, :15]
    )
    norm = RMSNorm(16)
    torch.testing.assert_close(norm(3.0 * x), norm(x))


def test_losses() -> None:
    log_y = torch.tensor([-9.0, -8.0, -10.0])
    assert float(point_loss(log_y, log_y, "qlike")) == 0.0
    s = log_y + 0.5
    expected = np.mean(np.exp(-0.5) + 0.5 - 1)  # y e^{-s} + s - log y - 1
    assert float(point_loss(s, log_y, "qlike")) == pytest.approx(expected, rel=1e-5)
    assert float(point_loss(s, log_y, "log_mse")) == pytest.approx(0.25)
    assert np.isfinite(
        float(point_loss(log_y - 500.0, log_y, "qlike"))
    )  # far too low a forecast stays finite
    q = torch.stack([log_y - 1, log_y + 1], dim=1)
    assert float(pinball(q, log_y, (0.1, 0.9))) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="point loss"):
        point_loss(s, log_y, "mse")
