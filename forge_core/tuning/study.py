"""Optuna studies of a family's hyperparameters, scored by walk-forward QLIKE on past windows only.

A trial fits the family on each tuning window with purged training (``forecast_window``) and scores the
forecasts of the window's days whose target was realised before ``before`` (the first day the tuned params
will be used; positive targets only, as QLIKE needs). Its value is the mean QLIKE over all scored
symbol-days; the running mean is reported after each window so that the MedianPruner stops bad trials early.

Studies live in an RDB storage (SQLite locally, Postgres in production) and are opened with
``load_if_exists``: a second call resumes the study, and several processes may optimise it at once. Trials
send heartbeats; a trial whose process died is marked failed by the next process and retried once. The
family's default params are enqueued as the first trial, so the best value is never worse than the default's.

optuna is imported by the functions that open, run or read a study: the tuning assets and the Optuna resource
declare themselves without loading it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import random
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy.exc
from alembic.script import ScriptDirectory

from forge_core.date_window import DateWindow
from forge_core.evaluation import qlike
from forge_core.forecasting.walk_forward import TrainingScheme, forecast_window
from forge_core.models.base import Runtime, SearchSpace
from forge_core.models.registry import model_class
from forge_core.settings import forge_home
from forge_core.state_stores import check_sqlite_store, count_rows, exclusive_lock, sqlite_path
from forge_core.targets import TargetSpec
from forge_core.tuning.spaces import search_space

if TYPE_CHECKING:
    import optuna
    from optuna.storages import RDBStorage

HEARTBEAT_S = 60
GRACE_S = 300
SQLITE_BUSY_TIMEOUT_S = 60
PRUNER_STARTUP_TRIALS = 5
SCHEMA_ATTEMPTS = 3

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TuningResult:
    """The best trial of a study so far, over every process and call that optimised it."""

    study_name: str
    best_params: dict[str, Any]
    best_value: float
    n_trials: int  # finished trials (complete, pruned or failed) in the study
    n_pruned: int


def default_storage_url() -> str:
    """SQLite storage in ``FORGE_HOME/optuna/optuna.db``."""
    return f"sqlite:///{forge_home() / 'optuna' / 'optuna.db'}"


def open_storage(storage_url: str) -> RDBStorage:
    """The RDB storage at ``storage_url`` (a SQLite file's folder is created), with trial heartbeats.

    A new SQLite storage is created by one process at a time, holding a lock file beside it; holding it, a
    storage that a killed or concurrent creation left half-made is first repaired or moved aside
    (``_repair_sqlite_storage``). Processes opening a new Postgres database at once race to create its
    schema; the losers retry and find it made."""
    engine_kwargs: dict[str, Any] = {}
    path = sqlite_path(storage_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine_kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
        with exclusive_lock(path.with_suffix(".lock")):
            _repair_sqlite_storage(storage_url, path, engine_kwargs)
            return _rdb_storage(storage_url, engine_kwargs)
    for _ in range(SCHEMA_ATTEMPTS - 1):
        try:
            return _rdb_storage(storage_url, engine_kwargs)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            time.sleep(random.uniform(0.1, 0.5))
    return _rdb_storage(storage_url, engine_kwargs)


def _rdb_storage(storage_url: str, engine_kwargs: dict[str, Any], **options: Any) -> RDBStorage:
    import optuna
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    with warnings.catch_warnings():  # the heartbeat arguments are labelled experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            storage_url,
            engine_kwargs,
            heartbeat_interval=HEARTBEAT_S,
            grace_period=GRACE_S,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1),
            **options,
        )


def _repair_sqlite_storage(storage_url: str, path: Path, engine_kwargs: dict[str, Any]) -> None:
    """Detect and mend a half-made Optuna SQLite storage (``check_sqlite_store``); call it holding the lock.

    Complete means every table of Optuna's models, no ``_alembic_tmp_*`` table and one alembic row at
    Optuna's head. A broken storage without studies is moved aside into ``broken-<time>/`` beside it and
    made again; one with studies is migrated with ``RDBStorage.upgrade`` (``optuna storage upgrade``)."""
    from optuna.storages._rdb import models as optuna_models

    def upgrade() -> None:
        storage = _rdb_storage(storage_url, engine_kwargs, skip_compatibility_check=True)
        try:
            if storage.get_current_version() != storage.get_head_version():
                storage.upgrade()
        finally:
            storage.engine.dispose()

    check_sqlite_store(
        path,
        name="Optuna",
        expected_tables=set(optuna_models.BaseModel.metadata.tables),
        head=_optuna_head(),
        holds_data=lambda file: count_rows(file, ignore={"alembic_version", "version_info"}) > 0,
        migrate=upgrade,
        logger=logger,
    )


@functools.cache
def _optuna_head() -> str:
    """The newest revision of Optuna's storage schema (its alembic scripts ship with the package)."""
    from optuna.storages._rdb import models as optuna_models

    script = ScriptDirectory(str(Path(optuna_models.__file__).parent / "alembic"))
    head = script.get_current_head()
    assert head is not None, "Optuna ships a single chain of storage migrations"
    return head


def open_study(storage_url: str, study_name: str, *, seed: int) -> optuna.Study:
    """Create or resume a minimising study with a seeded TPE sampler and a MedianPruner.

    The sampler's seed is ``seed`` plus the trials already in the study, so a resumed study does not replay
    the first call's samples; processes optimising one study at once should pass different seeds."""
    import optuna
    from optuna.pruners import MedianPruner
    from optuna.samplers import TPESampler

    study = optuna.create_study(
        storage=open_storage(storage_url),
        study_name=study_name,
        direction="minimize",
        load_if_exists=True,
        pruner=MedianPruner(n_startup_trials=PRUNER_STARTUP_TRIALS),
    )
    study.sampler = TPESampler(seed=seed + len(study.get_trials(deepcopy=False)))
    return study


def default_params(family: str, space: SearchSpace) -> dict[str, Any] | None:
    """The family's default hyperparameters as a point of ``space``, or None where they are not one."""
    from optuna.trial import FixedTrial

    fields = dataclasses.fields(model_class(family).Params)
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    with warnings.catch_warnings(record=True) as caught:  # FixedTrial warns about values out of range
        warnings.simplefilter("always")
        try:
            point = space(FixedTrial(defaults))
        except ValueError:
            return None
    return None if caught else point


def tune(
    storage_url: str,
    study_name: str,
    panel: pd.DataFrame,
    family: str,
    spec: TargetSpec,
    windows: Sequence[DateWindow],
    scheme: TrainingScheme,
    *,
    before: dt.date,
    n_trials: int,
    timeout_s: float | None = None,
    seed: int = 0,
    fixed_params: Mapping[str, Any] | None = None,
    runtime: Runtime | None = None,
) -> TuningResult:
    """Run up to ``n_trials`` more trials (or until ``timeout_s``) of ``family``'s study on ``panel``
    (``load_panel``), scored on ``windows``, which must all end on or before ``before``.

    ``fixed_params`` are passed to every fit and override the search space; the result's ``best_params`` include
    them, ready for ``create_model``. ``runtime`` is where fits train (each trial checkpoints under
    ``<study>/trial-<n>``)."""
    import optuna
    from optuna.trial import TrialState

    windows = sorted(windows, key=lambda w: w.start)
    if not windows:
        raise ValueError("tuning needs at least one window")
    late = [w for w in windows if w.end > before]
    if late:
        raise ValueError(f"tuning windows must end on or before {before}; these do not: {late}")
    space = search_space(family)
    # Nothing dated at or after `before` is visible, and only targets realised before it are scored.
    past = panel[panel["date"] < pd.Timestamp(before)]
    realised = past.loc[past["realised_on"] < pd.Timestamp(before), ["symbol", "date", "target_value"]]

    def objective(trial: optuna.Trial) -> float:
        params = {**space(trial), **(fixed_params or {})}
        trial_runtime = runtime.under(study_name, f"trial-{trial.number}") if runtime else None
        losses: list[np.ndarray] = []
        for step, window in enumerate(windows):
            result = forecast_window(
                past, spec, family, window, scheme, model_params=params, runtime=trial_runtime
            )
            losses.append(_window_losses(result.forecasts, realised))
            pooled = np.concatenate(losses)
            if pooled.size:
                trial.report(float(pooled.mean()), step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
        if not pooled.size:
            raise ValueError(f"{family}/{spec.name}: no realised out-of-sample day in the tuning windows")
        return float(pooled.mean())

    study = open_study(storage_url, study_name, seed=seed)
    start = default_params(family, space)
    if start is not None:
        study.enqueue_trial(start, skip_if_exists=True)
    study.optimize(objective, n_trials=n_trials, timeout=timeout_s)
    trials = study.get_trials(
        deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    )
    best = study.best_trial
    assert best.value is not None  # the best trial is a complete one
    return TuningResult(
        study_name=study_name,
        best_params={**best.params, **(fixed_params or {})},
        best_value=float(best.value),
        n_trials=len(trials),
        n_pruned=sum(t.state == TrialState.PRUNED for t in trials),
    )


def _window_losses(forecasts: pd.DataFrame, realised: pd.DataFrame) -> np.ndarray:
    """QLIKE of the window's forecasts on their realised positive targets; +inf for every scored day if any of
    those forecasts is not a positive number (the trial's params break the model)."""
    if forecasts.empty:
        return np.empty(0)
    scored = forecasts.merge(realised, on=["symbol", "date"], how="inner")
    scored = scored[scored["target_value"] > 0]
    f = scored["forecast"].to_numpy(dtype=float)
    if not np.all(np.isfinite(f) & (f > 0)):
        return np.full(len(scored), np.inf)
    return qlike(scored["target_value"], f)
