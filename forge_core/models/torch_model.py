"""Neural volatility models (``forge_core.nets``) behind ``VolatilityModel``: MLP (HARNet-style), LSTM, GRU, TCN
and a small transformer, all trained by one trainer (``forge_core.nets.trainer``).

Target: log y, y floored as the features (``VARIANCE_FLOOR``). The net gives, for day t, a log-variance s_t and
log-quantiles; the forecasts are

    point     f_t = exp(s_t)                      (loss "qlike": exp(s) estimates E[y | rows <= t])
              f_t = exp(s_t + sigma^2 / 2)        (loss "log_mse": log-normal bias correction, sigma^2 = variance
                                                   of the validation log residuals)
    quantile  q_t(p) = exp(net's log-quantile p)  (linear in p between the trained levels; never crossing)

Validation (early stopping): ``valid`` if given, else the last ``valid_fraction`` of the usable training rows,
with the h rows before it left out, so that no fitted row's target window t+1..t+h reaches a validation row.
``warm_start`` is ignored: ``params()`` holds no weights; a killed fit resumes from ``runtime.checkpoint_dir``
instead. Rows without ``seq_len`` rows of complete features (L = 1 for the MLP) get NaN forecasts.

Files: ``save(path)`` writes JSON (family, task, params, fitted facts, scaler, history) at ``path`` and the
weights (a ``state_dict``) at ``path.with_suffix(".pt")``, read back with ``weights_only=True``. Predictions
run in fixed-size zero-padded chunks, so a row's forecast is bitwise the same whatever else is predicted with it
(on CPU): a prefix of the history gives exactly the prefix of the forecasts, and a loaded model the same ones.

torch (and the nets) are imported by the methods that build, fit, run, save and load a net: the classes declare
their families (registry, assets, search spaces) without loading torch.
"""

from __future__ import annotations

import dataclasses
import json
import math
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from forge_core.evaluation.losses import qlike
from forge_core.features.daily import VARIANCE_FLOOR
from forge_core.features.feature_sets import FeatureSet
from forge_core.models.base import ForecastTask, Runtime, Validation, VolatilityModel, WarmStart
from forge_core.models.random_walk import RandomWalkModel
from forge_core.nets.inputs import OPTIONAL_COLUMNS, RETURN_COLUMNS, Scaler, windows
from forge_core.nets.train_config import TrainConfig
from forge_core.quantiles import QUANTILE_LEVELS
from forge_core.settings import comma_list

if TYPE_CHECKING:
    from optuna.trial import BaseTrial

    from forge_core.nets.architectures import VolNet

PREDICT_CHUNK = 1024
MIN_FIT_ROWS = 30
MIN_VALID_ROWS = 10
POSITIONS = ("learned", "sinusoidal")
SEQ_LENS = [11, 22, 44, 66]


@dataclass(frozen=True)
class Samples:
    """A net's samples: the rows of a frame with a complete window and a known target.

    Attributes
    ----------
    rows : np.ndarray
        Their positions in the frame.
    x : np.ndarray
        Their windows (n, L, k), float32.
    log_y : np.ndarray
        Their log targets (n,), float32.
    """

    rows: np.ndarray
    x: np.ndarray
    log_y: np.ndarray

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The windows and log targets, as the trainer takes them."""
        return self.x, self.log_y

    def where(self, keep: np.ndarray) -> Samples:
        """The samples where ``keep`` (bool per sample)."""
        return Samples(self.rows[keep], self.x[keep], self.log_y[keep])


@dataclass(frozen=True)
class SampleSplit:
    """A fit's samples and its validation samples, with the validation rows' frame and targets that score them
    (``valid.rows`` are positions in ``frame``).

    Attributes
    ----------
    fit, valid : Samples
        The samples the net is fitted on and those that stop it early.
    frame : pd.DataFrame
        The rows the validation samples come from.
    y : np.ndarray
        Their targets.
    """

    fit: Samples
    valid: Samples
    frame: pd.DataFrame
    y: np.ndarray


@dataclass(frozen=True)
class TorchParams:
    """Hyperparameters shared by every family (small, CPU-friendly defaults)."""

    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    hidden: int = 32
    dropout: float = 0.1
    loss: str = "qlike"  # or "log_mse"
    schedule: str = "cosine"  # or "onecycle", "plateau"
    patience: int = 5
    clip: float = 1.0
    accumulate: int = 1
    valid_fraction: float = 0.15
    quantile_weight: float = 0.5
    seed: int = 0
    extra_columns: str = ""  # comma-separated panel columns added to the inputs (option or market features)
    without_columns: str = ""  # comma-separated default inputs (``OPTIONAL_COLUMNS``) left out, e.g. the VIX

    def __post_init__(self) -> None:
        self.train_config()  # validates the training settings
        if not 0 < self.valid_fraction < 1 or not 0 <= self.dropout < 1 or self.hidden < 1:
            raise ValueError("need 0 < valid_fraction < 1, 0 <= dropout < 1 and hidden >= 1")

    def train_config(self) -> TrainConfig:
        return TrainConfig(**{f.name: getattr(self, f.name) for f in dataclasses.fields(TrainConfig)})


@dataclass(frozen=True)
class MLPParams(TorchParams):
    layers: int = 2
    har_init: bool = True


@dataclass(frozen=True)
class SequenceParams(TorchParams):
    seq_len: int = 22

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.seq_len < 1:
            raise ValueError(f"seq_len must be >= 1, got {self.seq_len}")


@dataclass(frozen=True)
class RecurrentParams(SequenceParams):
    layers: int = 1


@dataclass(frozen=True)
class TCNParams(SequenceParams):
    kernel_size: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kernel_size < 2:
            raise ValueError(f"kernel_size must be >= 2, got {self.kernel_size}")


@dataclass(frozen=True)
class TransformerParams(SequenceParams):
    layers: int = 2
    n_heads: int = 4
    n_kv_heads: int = 2
    positions: str = "learned"  # or "sinusoidal"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hidden % self.n_heads or self.n_heads % self.n_kv_heads or self.positions not in POSITIONS:
            raise ValueError(
                f"need n_heads | hidden, n_kv_heads | n_heads and positions in {POSITIONS}; got hidden "
                f"{self.hidden}, n_heads {self.n_heads}, n_kv_heads {self.n_kv_heads}, positions {self.positions!r}"
            )


# -- search spaces: every family's defaults are a point of its space; settings left out keep their defaults --
def training_space(trial: BaseTrial) -> dict[str, Any]:
    """Settings of every torch family (``epochs`` caps early stopping); hidden sizes divisible by every
    transformer head count."""
    return {
        "epochs": trial.suggest_int("epochs", 10, 60, step=10),
        "batch_size": trial.suggest_categorical("batch_size", [64, 128, 256, 512]),
        "lr": trial.suggest_float("lr", 1e-4, 1e-2, log=True),
        "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        "hidden": trial.suggest_categorical("hidden", [16, 32, 64, 128]),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
    }


def mlp_space(trial: BaseTrial) -> dict[str, Any]:
    return training_space(trial) | {"layers": trial.suggest_int("layers", 1, 4)}


def recurrent_space(trial: BaseTrial) -> dict[str, Any]:
    return training_space(trial) | {
        "seq_len": trial.suggest_categorical("seq_len", SEQ_LENS),
        "layers": trial.suggest_int("layers", 1, 3),
    }


def tcn_space(trial: BaseTrial) -> dict[str, Any]:
    return training_space(trial) | {
        "seq_len": trial.suggest_categorical("seq_len", SEQ_LENS),
        "kernel_size": trial.suggest_int("kernel_size", 2, 5),
    }


def transformer_space(trial: BaseTrial) -> dict[str, Any]:
    """Head counts chosen so that n_kv_heads divides n_heads, which divides every hidden size."""
    return training_space(trial) | {
        "seq_len": trial.suggest_categorical("seq_len", SEQ_LENS),
        "layers": trial.suggest_int("layers", 1, 4),
        "n_heads": trial.suggest_categorical("n_heads", [2, 4]),
        "n_kv_heads": trial.suggest_categorical("n_kv_heads", [1, 2]),
    }


@dataclass(frozen=True)
class TorchState:
    """Facts of a fit (the weights live in the .pt file)."""

    n_features: int
    n_fit: int
    n_valid: int
    epochs_run: int
    best_epoch: int
    best_valid_loss: float
    bias_var: float  # sigma^2 of the log_mse bias correction; 0 for qlike
    valid_qlike: float  # QLIKE of the variance forecasts on the validation rows
    valid_qlike_random_walk: float  # the random walk's QLIKE on the same rows


class TorchModel(VolatilityModel):
    """The shared logic; a family sets ``family``, ``description``, ``search_space``, ``Params`` and builds its
    net in ``_network``."""

    group = "deep_models"
    kinds = frozenset({"pytorch"})
    pool = "gpu"
    Params: ClassVar[type] = TorchParams
    State = TorchState

    def __init__(self, task: ForecastTask, runtime: Runtime | None = None, **params: Any) -> None:
        super().__init__(task, runtime, **params)
        self.net: VolNet | None = None
        # self.history (set up by the base class) gets the trainer's per-epoch entries
        self.scaler: Scaler | None = None

    @classmethod
    def feature_params(cls, sets: Sequence[FeatureSet], include: bool) -> dict[str, str]:
        """Every column of ``sets`` as extra inputs, or the sets' default inputs (the VIX) left out."""
        columns = [c for s in sets for c in s.columns]
        defaults = [c for c in columns if c in OPTIONAL_COLUMNS]
        if include:
            if defaults:
                raise ValueError(f"{cls.family} reads {defaults} by default: there is nothing to add")
            return {"extra_columns": ",".join(columns)}
        if not defaults:
            raise ValueError(
                f"{cls.family} takes none of {[s.name for s in sets]} by default (its default optional inputs: "
                f"{list(OPTIONAL_COLUMNS)}): there is nothing to take away"
            )
        return {"without_columns": ",".join(defaults)}

    @property
    def seq_len(self) -> int:
        """Days per input window."""
        return int(self.hyper.seq_len)

    def feature_columns(self) -> list[str] | None:
        """The ``daily_features`` columns the fitted net reads, in input order."""
        return None if self.scaler is None else list(self.scaler.columns)

    def input_columns(self) -> tuple[str, ...]:
        """Every column the scaler may choose (``forge_core.nets.inputs``): log-HAR, returns and range, the
        default optional inputs less ``without_columns``, and ``extra_columns``."""
        without = comma_list(self.hyper.without_columns)
        return (
            *(f"log_{self.task.proxy}_{s}" for s in ("d", "w", "m")),
            *RETURN_COLUMNS,
            *(c for c in OPTIONAL_COLUMNS if c not in without),
            *comma_list(self.hyper.extra_columns),
        )

    @abstractmethod
    def _network(self, n_features: int) -> VolNet:
        """A freshly initialised net of this family for ``n_features`` inputs."""

    # -- fitting -----------------------------------------------------------------------------------------
    def _split(self, train: pd.DataFrame, y: np.ndarray, valid: Validation | None) -> SampleSplit:
        """Fit and validation samples: ``valid`` if given, else the last ``valid_fraction`` of the usable training
        rows with the h rows before them left out (no fitted row's target window t+1..t+h reaches a validation
        row)."""
        samples = self._samples(train, y)
        if valid is not None:
            return SampleSplit(samples, self._samples(*valid), valid[0], valid[1])
        rows = samples.rows
        n_valid = math.ceil(self.hyper.valid_fraction * len(rows))
        first_valid = rows[-n_valid] if n_valid else len(train)
        is_valid = rows >= first_valid
        is_fit = rows < first_valid - self.task.horizon
        return SampleSplit(samples.where(is_fit), samples.where(is_valid), train, y)

    def _fit(
        self, train: pd.DataFrame, y: np.ndarray, warm_start: WarmStart | None, valid: Validation | None
    ) -> TorchState:
        """Train the net with early stopping on the validation split; ``warm_start`` is ignored."""
        import torch

        from forge_core.nets.architectures import initialise_output
        from forge_core.nets.trainer import reproducible
        from forge_core.nets.trainer import train as train_net

        hyper = self.hyper
        self.scaler = Scaler.fit(
            train,
            self.task.proxy,
            comma_list(self.hyper.extra_columns),
            comma_list(self.hyper.without_columns),
        )
        split = self._split(train, y, valid)
        fit, validation = split.fit, split.valid
        if len(fit.log_y) < MIN_FIT_ROWS or len(validation.log_y) < MIN_VALID_ROWS:
            raise ValueError(
                f"{self.family}: {len(fit.log_y)} fit and {len(validation.log_y)} validation rows with complete "
                f"{self.seq_len}-day windows; need {MIN_FIT_ROWS} and {MIN_VALID_ROWS}"
            )
        device = torch.device(self.runtime.device)
        with reproducible(hyper.seed, device):
            net = self._network(len(self.scaler.columns))
            initialise_output(net, fit.x, fit.log_y, hyper.loss)
            result = train_net(
                net,
                fit.arrays,
                validation.arrays,
                hyper.train_config(),
                device=device,
                precision_name=self.runtime.precision,
                checkpoint_dir=self.runtime.checkpoint_dir,
                log=self.runtime.log,
                name=self.family,
                identity=self._identity(),
            )
        self.net = net.eval()
        self.history = result.history
        return TorchState(
            n_features=len(self.scaler.columns),
            n_fit=len(fit.log_y),
            n_valid=len(validation.log_y),
            epochs_run=len(result.history),
            best_epoch=result.best_epoch,
            best_valid_loss=float(result.best_valid_loss),
            bias_var=0.0,
            valid_qlike=math.nan,
            valid_qlike_random_walk=math.nan,
        )

    def _calibrate(self, train: pd.DataFrame, y: np.ndarray, valid: Validation | None) -> None:
        """The nets' quantiles come from their own heads; calibration sets the log_mse bias correction
        sigma^2 (variance of the validation log residuals) and scores the validation rows against the random
        walk."""
        split = self._split(train, y, valid)
        if self.hyper.loss == "log_mse":
            s, _ = self._forward(split.valid.x)
            self.state = dataclasses.replace(self.state, bias_var=float(np.var(split.valid.log_y - s)))
        self.state = dataclasses.replace(
            self.state, **self._validation_qlike(split.frame, split.y, split.valid.rows)
        )

    def _validation_qlike(self, frame: pd.DataFrame, y: np.ndarray, rows: np.ndarray) -> dict[str, float]:
        """Mean QLIKE of the net and of the random walk (mean of the last h proxies) on the validation rows
        where both forecast."""
        net = self._predict(frame)[rows]
        walk = RandomWalkModel(self.task)._predict(frame)[rows]
        ok = np.isfinite(net) & np.isfinite(walk) & np.isfinite(y[rows]) & (y[rows] > 0)
        if not ok.any():
            return {"valid_qlike": math.nan, "valid_qlike_random_walk": math.nan}
        return {
            "valid_qlike": float(qlike(y[rows][ok], net[ok]).mean()),
            "valid_qlike_random_walk": float(qlike(y[rows][ok], walk[ok]).mean()),
        }

    def validation_checks(self) -> dict[str, bool]:
        """The net beats the random walk on its own validation rows (QLIKE)."""
        state = self.state
        return {"validation_loss_below_random_walk": bool(state.valid_qlike < state.valid_qlike_random_walk)}

    def _identity(self) -> str:
        """What this net is: family, task and every hyperparameter (a checkpoint of another net is not resumed)."""
        doc = {
            "family": self.family,
            "task": dataclasses.asdict(self.task),
            "params": dataclasses.asdict(self.hyper),
        }
        return json.dumps(doc, sort_keys=True)

    def _samples(self, frame: pd.DataFrame, y: np.ndarray) -> Samples:
        """The rows of ``frame`` with a complete window and a known target."""
        assert self.scaler is not None
        rows, x = windows(*self.scaler.transform(frame), self.seq_len)
        known = np.isfinite(y[rows])
        log_y = np.log(np.maximum(y[rows][known], VARIANCE_FLOOR)).astype(np.float32)
        return Samples(rows[known], x[known], log_y)

    # -- forecasting -------------------------------------------------------------------------------------
    def _predict(self, features: pd.DataFrame) -> np.ndarray:
        s, _ = self._outputs(features)
        return self._variance(s)

    def _variance(self, s: np.ndarray) -> np.ndarray:
        state: TorchState = self.state
        return np.exp(s + 0.5 * state.bias_var)

    def _forecast(self, features: pd.DataFrame, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The net's point forecast and its own quantiles, exp of its log-quantiles, linear in the level between
        the trained levels ``QUANTILE_LEVELS`` (so ``levels`` must lie within [0.05, 0.95]); one forward pass."""
        known = np.asarray(QUANTILE_LEVELS)
        if levels[0] < known[0] or levels[-1] > known[-1]:
            raise ValueError(
                f"levels must be strictly increasing within [{known[0]}, {known[-1]}], got {list(levels)}"
            )
        s, q = self._outputs(features)
        j = np.clip(np.searchsorted(known, levels, side="right") - 1, 0, len(known) - 2)
        w = (levels - known[j]) / (known[j + 1] - known[j])
        return self._variance(s), np.exp(q[:, j] * (1 - w) + q[:, j + 1] * w)

    def _outputs(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """s and the log-quantiles for every row, NaN where the row has no complete window."""
        assert self.scaler is not None
        rows, x = windows(*self.scaler.transform(features), self.seq_len)
        s = np.full(len(features), np.nan)
        q = np.full((len(features), len(QUANTILE_LEVELS)), np.nan)
        s[rows], q[rows] = self._forward(x)
        return s, q

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The net on windows x in zero-padded chunks of PREDICT_CHUNK rows (same shapes, same kernels)."""
        import torch

        from forge_core.nets.trainer import one_thread, precision

        assert self.net is not None
        device = next(self.net.parameters()).device
        s_parts, q_parts = [], []
        with torch.no_grad(), one_thread(device), precision(device, self.runtime.precision):
            for start in range(0, len(x), PREDICT_CHUNK):
                chunk = x[start : start + PREDICT_CHUNK]
                padded = np.zeros((PREDICT_CHUNK, *x.shape[1:]), dtype=np.float32)
                padded[: len(chunk)] = chunk
                s, q = self.net(torch.from_numpy(padded).to(device))
                s_parts.append(s[: len(chunk)].float().cpu().numpy())
                q_parts.append(q[: len(chunk)].float().cpu().numpy())
        if not s_parts:
            return np.empty(0), np.empty((0, len(QUANTILE_LEVELS)))
        return np.concatenate(s_parts).astype(float), np.concatenate(q_parts).astype(float)

    # -- persistence -------------------------------------------------------------------------------------
    @staticmethod
    def weights_path(path: Path) -> Path:
        return Path(path).with_suffix(".pt")

    def _is_fitted(self) -> bool:
        return self.state is not None and self.net is not None and self.scaler is not None

    def _saved(self, path: Path) -> dict[str, Any]:
        """The scaler and the training history in the JSON; the weights (a ``state_dict``) beside it."""
        import torch

        assert self.net is not None and self.scaler is not None
        torch.save({k: v.cpu() for k, v in self.net.state_dict().items()}, self.weights_path(path))
        return {"scaler": self.scaler.to_dict(), "history": self.history}

    def _restore(self, doc: Mapping[str, Any], path: Path) -> None:
        """Scaler, history and the net, on ``runtime.device`` (read with ``weights_only=True``)."""
        import torch

        self.scaler = Scaler.from_dict(doc["scaler"])
        self.history = doc["history"]
        net = self._network(self.state.n_features)
        weights = self.weights_path(path)
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
        except (
            Exception
        ) as error:  # torch: RuntimeError, EOFError, or an UnpicklingError for a pickled object
            raise ValueError(f"{weights.name} is not a file of tensors ({error})") from error
        net.load_state_dict(state)
        self.net = net.to(self.runtime.device).eval()


class MLPModel(TorchModel):
    """Feed-forward net on day t's features with a HAR-initialised linear skip path (HARNet)."""

    family = "mlp"
    description = (
        "MLP on the HAR-style feature vector, its linear path initialised at the HAR solution (HARNet). "
        "Log-variance and non-crossing quantile heads."
    )
    search_space = staticmethod(mlp_space)
    Params = MLPParams

    @property
    def seq_len(self) -> int:
        return 1

    def _network(self, n_features: int) -> VolNet:
        from forge_core.nets.architectures import MLPNet

        h = self.hyper
        return MLPNet(n_features, h.hidden, h.layers, h.dropout, h.har_init)


class LSTMModel(TorchModel):
    """LSTM over the last ``seq_len`` days."""

    family = "lstm"
    description = "LSTM over the last L days of features. Log-variance and non-crossing quantile heads."
    search_space = staticmethod(recurrent_space)
    Params = RecurrentParams

    def _network(self, n_features: int) -> VolNet:
        from forge_core.nets.architectures import RecurrentNet

        h = self.hyper
        return RecurrentNet(self.family, n_features, h.hidden, h.layers, h.dropout)


class GRUModel(LSTMModel):
    """GRU over the last ``seq_len`` days."""

    family = "gru"
    description = "GRU over the last L days of features. Log-variance and non-crossing quantile heads."
    search_space = staticmethod(recurrent_space)


class TCNModel(TorchModel):
    """Dilated causal convolutions over the last ``seq_len`` days."""

    family = "tcn"
    description = (
        "Temporal convolutional net: dilated causal convolutions over the last L days. "
        "Log-variance and non-crossing quantile heads."
    )
    search_space = staticmethod(tcn_space)
    Params = TCNParams

    def _network(self, n_features: int) -> VolNet:
        from forge_core.nets.architectures import TCNNet

        h = self.hyper
        return TCNNet(n_features, h.hidden, h.seq_len, h.kernel_size, h.dropout)


class TransformerModel(TorchModel):
    """Causal transformer (RMSNorm, SwiGLU, grouped-query attention) over the last ``seq_len`` days."""

    family = "transformer"
    description = (
        "Transformer encoder (RMSNorm, SwiGLU, grouped-query attention) over the last L days. "
        "Log-variance and non-crossing quantile heads."
    )
    search_space = staticmethod(transformer_space)
    Params = TransformerParams

    def _network(self, n_features: int) -> VolNet:
        from forge_core.nets.architectures import TransformerNet

        h = self.hyper
        return TransformerNet(
            n_features, h.hidden, h.seq_len, h.layers, h.n_heads, h.n_kv_heads, h.dropout, h.positions
        )
