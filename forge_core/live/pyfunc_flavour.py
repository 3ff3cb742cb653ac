"""Live sets as MLflow models: every registered set's folder is also an MLflow model with the ``pyfunc``
flavour, so the tools MLflow users know load and serve it.

    model = mlflow.pyfunc.load_model("models:/volatilityforge-rv_1d@champion")
    model.predict(features)        # the same numbers as ForecastServer

    mlflow models serve -m models:/volatilityforge-rv_1d@champion --env-manager local   # POST /invocations

``features`` holds feature rows (``symbol``, ``date`` and the set's input columns, as ``daily_features`` and the
panel hold them), oldest first per symbol: the forecast is made at each symbol's last row, as the daily job makes
it at a close. The output has one row per symbol: ``symbol, date, forecast`` (the published point), its quantiles,
``raw_forecast``, the calibrated bounds and ``skewed``. The flavour's data is the set folder itself (the
``MLmodel`` file sits beside ``fitted_set.json``), so a version reads the same files either way and no path is
baked into the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from mlflow import pyfunc
from mlflow.models import Model, ModelSignature
from mlflow.types import ColSpec, Schema, TensorSpec

from forge_core.live.fitted_set import FittedSet
from forge_core.quantiles import BOUND_COLUMNS, QUANTILE_COLUMNS

MLMODEL_FILE = "MLmodel"
KEY_COLUMNS = ("symbol", "date")


class SetPredictor:
    """What ``mlflow.pyfunc.load_model`` gives for a live set: ``predict`` forecasts at each symbol's last row."""

    def __init__(self, fitted: FittedSet) -> None:
        self.fitted = fitted

    def predict(self, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """The set's forecast at the last row of each symbol's rows in ``model_input`` (symbols in first-seen
        order). KeyError naming symbols the set has no model for."""
        frame = model_input.assign(date=pd.to_datetime(model_input["date"]))
        histories = {
            str(symbol): rows.sort_values("date", kind="stable").reset_index(drop=True)
            for symbol, rows in frame.groupby("symbol", sort=False)
        }
        return self.fitted.forecast(histories).reset_index(drop=True)


def _load_pyfunc(data_path: str) -> SetPredictor:
    """MLflow's entry point for the flavour: ``data_path`` is the set folder."""
    return SetPredictor(FittedSet.load(Path(data_path)))


def input_columns(fitted: FittedSet) -> list[str]:
    """The feature columns the set's models read (every member's, for an ensemble), besides symbol and date."""
    if fitted.is_ensemble:
        return list(dict.fromkeys(c for member in fitted.member_sets.values() for c in input_columns(member)))
    columns = {c for model in fitted.models.values() for c in (*model.input_columns(), "log_return")}
    return sorted(columns - set(KEY_COLUMNS))


def signature(fitted: FittedSet) -> ModelSignature:
    """Feature rows in, one forecast row per symbol out."""
    keys: list[ColSpec | TensorSpec] = [ColSpec("string", "symbol"), ColSpec("datetime", "date")]
    inputs = Schema([*keys, *(ColSpec("double", column, required=False) for column in input_columns(fitted))])
    values = ("forecast", *QUANTILE_COLUMNS, "raw_forecast", *BOUND_COLUMNS)
    outputs = Schema([*keys, *(ColSpec("double", c) for c in values), ColSpec("boolean", "skewed")])
    return ModelSignature(inputs=inputs, outputs=outputs)


def write_mlmodel(folder: Path, fitted: FittedSet) -> None:
    """Make the saved set in ``folder`` an MLflow model: its ``MLmodel`` file, with the pyfunc flavour loading the
    folder itself through this module."""
    model = Model(signature=signature(fitted))
    pyfunc.add_to_model(model, loader_module=__name__, data=".")
    model.save(str(folder / MLMODEL_FILE))
