"""MLflow tracking and registry against a real SQLite store under the test's FORGE_HOME."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forge_core.forecasting.walk_forward import TrainingScheme, purged_training_rows
from forge_core.models import ForecastTask, create_model
from forge_core.models.base import VolatilityModel
from forge_core.models.ewma import EwmaModel
from forge_core.models.registry import MODEL_REGISTRY
from forge_core.tracking import (
    CHAMPION,
    FitRecord,
    TrackingConfig,
    code_version,
    default_tracking_config,
    experiment_name,
    load_registered,
    log_fit,
    register_fit,
    registered_name,
    run_url,
    set_alias,
    tracking_client,
)
from forge_core.tracking.fits import _local_directory, flatten, model_artifacts, model_version_url
from tests.core.tracking.conftest import SPECS

WINDOW = (dt.date(2019, 1, 1), dt.date(2019, 2, 1))
FEATURES = ["parkinson_d", "parkinson_w", "parkinson_m"]


def fitted(
    panel: pd.DataFrame, target: str, family: str, symbol: str
) -> tuple[VolatilityModel, pd.DataFrame]:
    """``family`` fitted on the purged rows of ``symbol`` before WINDOW, and the rows it forecasts from."""
    spec = next(s for s in SPECS if s.name == target)
    history = panel[(panel["symbol"] == symbol) & (panel["date"] < pd.Timestamp(WINDOW[1]))]
    history = history.reset_index(drop=True)
    train = purged_training_rows(history, WINDOW[0], TrainingScheme())
    model = create_model(family, ForecastTask(spec.horizon, spec.proxy)).fit(train, train["target_value"])
    return model, history


def log(config: TrackingConfig, model: VolatilityModel, target: str, symbol: str, **extra) -> FitRecord:
    return log_fit(
        config,
        model=model,
        target=target,
        symbol=symbol,
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        trained_through=dt.date(2018, 12, 31),
        train_rows=700,
        features=FEATURES,
        metrics={"qlike": 0.25, "mse": 1e-8},
        epoch_history=extra.pop("epoch_history", None),
        code_version=code_version(),
        tags=extra.pop("tags", None),
    )


@pytest.mark.parametrize("family", ["har", "gjr_garch"])
def test_round_trip_through_the_registry(
    panels: dict[str, pd.DataFrame], forge_home: Path, family: str
) -> None:
    config = default_tracking_config()
    assert config.tracking_uri == config.registry_uri == f"sqlite:///{forge_home}/mlflow/mlflow.db"
    model, history = fitted(panels["rv_5d"], "rv_5d", family, "SYN000")
    history_epochs = [{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.4}]
    record = log(config, model, "rv_5d", "SYN000", epoch_history=history_epochs, tags={"owner": "ci"})
    name = registered_name("rv_5d", family)
    version = register_fit(config, record, name)
    set_alias(config, name, CHAMPION, version)

    loaded = load_registered(config, name, CHAMPION)
    assert type(loaded) is type(model)
    assert np.array_equal(loaded.predict(history), model.predict(history), equal_nan=True)
    assert loaded.predict_quantiles(history).equals(model.predict_quantiles(history))
    by_number = load_registered(config, name, version)
    assert np.array_equal(by_number.predict(history), model.predict(history), equal_nan=True)

    client = tracking_client(config)
    run = client.get_run(record.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == f"{family}-rv_5d-SYN000-2019-01-01"
    experiment = client.get_experiment(run.info.experiment_id)  # MLflow 3 opens it as model training
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    params = run.data.params
    assert {k: params[k] for k in ("family", "horizon", "window_start", "window_end", "train_rows")} == {
        "family": family,
        "horizon": "5",
        "window_start": "2019-01-01",
        "window_end": "2019-02-01",
        "train_rows": "700",
    }
    assert all(params[k] == v for k, v in flatten(model.params()).items())  # tuples as JSON lists
    assert params["code_version"] == code_version() and params["n_features"] == "3"
    assert run.data.metrics == {"qlike": 0.25, "mse": 1e-8, "epoch/train_loss": 0.4}
    steps = client.get_metric_history(record.run_id, "epoch/train_loss")
    assert [(m.step, m.value) for m in steps] == [(1, 0.5), (2, 0.4)]
    tags = run.data.tags
    assert tags["forge.symbol"] == "SYN000" and tags["forge.target"] == "rv_5d" and tags["owner"] == "ci"
    assert tags["forge.window_start"] == "2019-01-01" and tags["forge.code_version"] == code_version()
    artifacts = {f.path for f in client.list_artifacts(record.run_id)}
    assert artifacts == {"model", "features.json"}
    assert [f.path for f in client.list_artifacts(record.run_id, "model")] == ["model/model.json"]

    experiment = client.get_experiment(record.experiment_id)
    assert experiment.name == experiment_name("rv_5d") == "volatilityforge/rv_5d"
    assert experiment.artifact_location == (forge_home / "mlflow" / "artifacts" / "rv_5d").as_uri()
    assert (forge_home / "mlflow" / "artifacts" / "rv_5d" / record.run_id / "artifacts" / "model").is_dir()
    mv = client.get_model_version_by_alias(name, CHAMPION)
    assert (int(mv.version), mv.run_id) == (version, record.run_id)
    assert mv.tags["forge.symbol"] == "SYN000" and mv.tags["forge.window_end"] == "2019-02-01"


def test_model_files_are_read_in_place_from_a_local_store(
    panels: dict[str, pd.DataFrame], forge_home: Path
) -> None:
    """A local artifact store is read where it is (a live set is thousands of files, not copied one by one); any
    other store (S3, an MLflow server's proxied ``mlflow-artifacts:``, another host's file) is downloaded."""
    config = default_tracking_config()
    model, _ = fitted(panels["rv_1d"], "rv_1d", "har", "SYN000")
    record = log(config, model, "rv_1d", "SYN000")
    stored = forge_home / "mlflow" / "artifacts" / "rv_1d" / record.run_id / "artifacts" / "model"
    with model_artifacts(tracking_client(config), config.tracking_uri, record.run_id, "reading") as folder:
        assert folder == stored and (folder / "model.json").is_file()
    assert (stored / "model.json").is_file()  # read, never moved or removed
    assert _local_directory(stored.as_uri()) == _local_directory(str(stored)) == stored
    for remote in ("s3://bucket/1/abc/artifacts", "mlflow-artifacts:/1/abc/artifacts", "file://other/1/abc"):
        assert _local_directory(remote) is None


def test_versions_aliases_and_experiments_per_target(panels: dict[str, pd.DataFrame]) -> None:
    config = default_tracking_config()
    records = {}
    for target in ("rv_1d", "rv_5d"):
        for symbol in ("SYN000", "SYN001"):
            model, _ = fitted(panels[target], target, "ewma", symbol)
            records[target, symbol] = log(config, model, target, symbol)
    assert len({r.experiment_id for r in records.values()}) == 2
    assert records["rv_1d", "SYN000"].experiment_id == records["rv_1d", "SYN001"].experiment_id

    name = registered_name("rv_1d", "ewma")
    first = register_fit(config, records["rv_1d", "SYN000"], name)
    second = register_fit(config, records["rv_1d", "SYN001"], name)
    assert (first, second) == (1, 2)
    set_alias(config, name, CHAMPION, first)
    set_alias(config, name, "challenger", second)
    set_alias(config, name, CHAMPION, second)  # moves the alias
    client = tracking_client(config)
    assert client.get_model_version_by_alias(name, CHAMPION).tags["forge.symbol"] == "SYN001"
    model, history = fitted(panels["rv_1d"], "rv_1d", "ewma", "SYN001")
    assert np.array_equal(load_registered(config, name, "2").predict(history), model.predict(history))


def test_a_failed_log_leaves_a_failed_run() -> None:
    config = default_tracking_config()
    unfitted = create_model("har", ForecastTask(1, "parkinson"))
    with pytest.raises(RuntimeError, match="fit the model"):
        log(config, unfitted, "rv_1d", "SYN000")
    client = tracking_client(config)
    experiment = client.get_experiment_by_name(experiment_name("rv_1d"))
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FAILED"


def test_run_and_version_pages_are_links_to_the_configured_ui(monkeypatch: pytest.MonkeyPatch) -> None:
    record = FitRecord("abc123", "7", "runs:/abc123/model")
    local = default_tracking_config()
    assert run_url(local, record) == "http://127.0.0.1:5000/#/experiments/7/runs/abc123"
    monkeypatch.setenv("FORGE_MLFLOW_UI", "https://mlflow.desk.example/")
    assert run_url(local, record) == "https://mlflow.desk.example/#/experiments/7/runs/abc123"
    assert model_version_url(local, "volatilityforge-rv_1d", 3) == (
        "https://mlflow.desk.example/#/models/volatilityforge-rv_1d/versions/3"
    )
    server = TrackingConfig("https://mlflow.example.com/", "https://mlflow.example.com/")
    assert run_url(server, record) == "https://mlflow.example.com/#/experiments/7/runs/abc123"


def test_flatten_nests_and_truncates_to_mlflow_limits() -> None:
    flat = flatten({"a": {"b": 1, "c": {"d": "x"}}, "sizes": [8, 16], "long": "y" * 7000, "k" * 300: 1})
    assert flat["a.b"] == "1" and flat["a.c.d"] == "x" and flat["sizes"] == "[8, 16]"
    assert len(flat["long"]) == 6000 and "k" * 250 in flat


def test_code_version_is_the_git_commit() -> None:
    version = code_version()
    assert len(version) == 40 and int(version, 16) >= 0


class WeightsEwma(EwmaModel):
    """An ewma that, like the torch models, writes its weights next to the JSON file (``path.with_suffix(".pt")``)."""

    family = "ewma_weights"

    def _saved(self, path: Path) -> dict[str, Any]:
        path.with_suffix(".pt").write_bytes(WEIGHTS)
        return super()._saved(path)

    def _restore(self, doc: Mapping[str, Any], path: Path) -> None:
        super()._restore(doc, path)
        self.weights = path.with_suffix(".pt").read_bytes()


WEIGHTS = b"\x00weights\x01"


def test_weights_files_travel_with_the_model(
    panels: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(MODEL_REGISTRY, WeightsEwma.family, WeightsEwma)
    config = default_tracking_config()
    model, history = fitted(panels["rv_1d"], "rv_1d", WeightsEwma.family, "SYN000")
    record = log(config, model, "rv_1d", "SYN000")
    files = [f.path for f in tracking_client(config).list_artifacts(record.run_id, "model")]
    assert files == ["model/model.json", "model/model.pt"]
    name = registered_name("rv_1d", WeightsEwma.family)
    set_alias(config, name, CHAMPION, register_fit(config, record, name))
    loaded = load_registered(config, name, CHAMPION)
    assert isinstance(loaded, WeightsEwma) and loaded.weights == WEIGHTS
    assert np.array_equal(loaded.predict(history), model.predict(history))
