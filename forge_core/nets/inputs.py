"""Inputs of the networks: which ``daily_features`` columns, their scaling, and windows of the last L days.

Columns, in this order (the first three are the log-HAR vector, which ``har_init`` relies on):

    log_<proxy>_d, log_<proxy>_w, log_<proxy>_m     -- always; a row missing one has no forecast
    log_return, neg_return_d, neg_return_w, neg_return_m, log_range
                                                    -- when the training frame has the column; then a row
                                                       missing one has no forecast
    volume_z, vix_level, vix_change, regime_turbulent (less the ``without`` columns asked for), and the ``extra``
    columns asked for (e.g. option features)
                                                    -- when the training rows hold a finite value; a missing
                                                       value (no VIX that day, no regime row) is the training
                                                       median

No missing-value indicator columns, to keep the input small. Every column is then standardised with the
training mean and sd: z = (x - mean) / sd. The scaler is fitted on training rows only and saved with the model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

HAR_COLUMNS = 3  # the first columns: log_<proxy>_d/_w/_m
OPTIONAL_COLUMNS: tuple[str, ...] = ("volume_z", "vix_level", "vix_change", "regime_turbulent")
RETURN_COLUMNS: tuple[str, ...] = ("log_return", "neg_return_d", "neg_return_w", "neg_return_m", "log_range")
MIN_SD = 1e-12  # a column with a smaller training sd is only centred


def required_columns(frame: pd.DataFrame, proxy: str) -> list[str]:
    """The columns every row needs: log-HAR of ``proxy``, and the return and range columns ``frame`` has."""
    return [*(f"log_{proxy}_{s}" for s in ("d", "w", "m")), *(c for c in RETURN_COLUMNS if c in frame)]


@dataclass(frozen=True)
class Scaler:
    """Per-column fill (optional columns), mean and sd, fitted on training rows."""

    columns: tuple[str, ...]
    n_required: int
    fill: tuple[float, ...]  # training median, used for missing optional values (required: unused 0.0)
    mean: tuple[float, ...]
    sd: tuple[float, ...]

    @classmethod
    def fit(
        cls, train: pd.DataFrame, proxy: str, extra: tuple[str, ...] = (), without: tuple[str, ...] = ()
    ) -> Self:
        """Fitted on ``train``; ``extra`` names more optional columns (ValueError for one ``train`` lacks),
        ``without`` default optional columns to leave out."""
        missing = [c for c in extra if c not in train]
        if missing:
            raise ValueError(f"extra input columns {missing} are not in the training rows")
        unknown = [c for c in without if c not in OPTIONAL_COLUMNS]
        if unknown:
            raise ValueError(
                f"columns {unknown} are not default inputs {OPTIONAL_COLUMNS}: none to leave out"
            )
        required = required_columns(train, proxy)
        defaults = [c for c in OPTIONAL_COLUMNS if c not in without]
        candidates = [*defaults, *(c for c in extra if c not in defaults)]
        optional = [c for c in candidates if c in train and np.isfinite(train[c].to_numpy(float)).any()]
        fill = [0.0] * len(required) + [float(np.nanmedian(train[c].to_numpy(float))) for c in optional]
        scaler = cls(
            (*required, *optional), len(required), tuple(fill), (0.0,) * len(fill), (1.0,) * len(fill)
        )
        raw, ok = scaler._filled(train)
        if not ok.any():
            raise ValueError("no training row has every required feature")
        mean, sd = raw[ok].mean(axis=0), raw[ok].std(axis=0)
        sd = np.where(sd > MIN_SD, sd, 1.0)
        return dataclasses.replace(scaler, mean=tuple(map(float, mean)), sd=tuple(map(float, sd)))

    def transform(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Standardised float32 inputs (n, k) and whether each row has every required feature (rows that do not
        are zeros and must not be used)."""
        raw, ok = self._filled(frame)
        x = (raw - np.asarray(self.mean)) / np.asarray(self.sd)
        x[~ok] = 0.0
        return x.astype(np.float32), ok

    def _filled(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        missing = [c for c in self.columns if c not in frame]
        if missing:
            raise ValueError(f"feature columns {missing} are missing")
        raw = frame[list(self.columns)].to_numpy(dtype=float)
        ok = np.isfinite(raw[:, : self.n_required]).all(axis=1)
        opt = raw[:, self.n_required :]
        raw[:, self.n_required :] = np.where(np.isfinite(opt), opt, np.asarray(self.fill[self.n_required :]))
        return raw, ok

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Self:
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in doc.items()}
        return cls(**values)


def windows(x: np.ndarray, ok: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows t whose last ``length`` rows t-L+1..t are all usable, and their windows (m, L, k), float32.

    Row t's window uses rows <= t only, so a row's window (and forecast) never depends on later rows."""
    n, k = x.shape
    if n < length:
        return np.empty(0, dtype=np.int64), np.empty((0, length, k), dtype=np.float32)
    full = sliding_window_view(ok, length).all(axis=1)
    rows = np.flatnonzero(full) + length - 1
    view = sliding_window_view(x, length, axis=0).transpose(0, 2, 1)  # (n-L+1, L, k), no copy
    return rows, np.ascontiguousarray(view[rows - length + 1])
