"""Hyperparameter search spaces, one per model family, all in ``SEARCH_SPACES``.

A space maps an Optuna trial to keyword params of ``create_model``; every family's defaults are a point of
its space (see ``default_params``). Families without hyperparameters (random_walk, har, log_har, garch,
gjr_garch) have none. The torch families share the training settings (``epochs`` is the cap for early
stopping) and add their architecture's; settings left out (loss, schedule, patience, ...) keep their defaults.
A new family declares its space with ``register_search_space``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna

SearchSpace = Callable[[optuna.Trial], dict[str, Any]]
SEQ_LENS = [11, 22, 44, 66]


def ewma_space(trial: optuna.Trial) -> dict[str, Any]:
    return {"decay": trial.suggest_float("decay", 0.85, 0.99)}


def training_space(trial: optuna.Trial) -> dict[str, Any]:
    """Settings of every torch family; hidden sizes divisible by every transformer head count."""
    return {
        "epochs": trial.suggest_int("epochs", 10, 60, step=10),
        "batch_size": trial.suggest_categorical("batch_size", [64, 128, 256, 512]),
        "lr": trial.suggest_float("lr", 1e-4, 1e-2, log=True),
        "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        "hidden": trial.suggest_categorical("hidden", [16, 32, 64, 128]),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
    }


def mlp_space(trial: optuna.Trial) -> dict[str, Any]:
    return training_space(trial) | {"layers": trial.suggest_int("layers", 1, 4)}


def recurrent_space(trial: optuna.Trial) -> dict[str, Any]:
    return training_space(trial) | {
        "seq_len": trial.suggest_categorical("seq_len", SEQ_LENS),
        "layers": trial.suggest_int("layers", 1, 3),
    }


def tcn_space(trial: optuna.Trial) -> dict[str, Any]:
    return training_space(trial) | {
        "seq_len": trial.suggest_categorical("seq_len", SEQ_LENS),
        "kernel_size": trial.suggest_int("kernel_size", 2, 5),
    }


def transformer_space(trial: optuna.Trial) -> dict[str, Any]:
    """Head counts chosen so that n_kv_heads divides n_heads, which divides every hidden size."""
    return training_space(trial) | {
        "seq_len": trial.suggest_categorical("seq_len", SEQ_LENS),
        "layers": trial.suggest_int("layers", 1, 4),
        "n_heads": trial.suggest_categorical("n_heads", [2, 4]),
        "n_kv_heads": trial.suggest_categorical("n_kv_heads", [1, 2]),
    }


SEARCH_SPACES: dict[str, SearchSpace] = {
    "ewma": ewma_space,
    "mlp": mlp_space,
    "lstm": recurrent_space,
    "gru": recurrent_space,
    "tcn": tcn_space,
    "transformer": transformer_space,
}


def register_search_space(family: str, space: SearchSpace) -> None:
    """Declare (or replace) the search space of ``family``."""
    SEARCH_SPACES[family] = space


def search_space(family: str) -> SearchSpace:
    """The search space of ``family``; ValueError for a family with no declared space."""
    try:
        return SEARCH_SPACES[family]
    except KeyError:
        raise ValueError(
            f"no search space for model family {family!r}; tunable families: {sorted(SEARCH_SPACES)} "
            "(declare one with forge_core.tuning.register_search_space)"
        ) from None
