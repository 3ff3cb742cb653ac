"""One trainer for every family: AdamW, a learning-rate schedule, gradient clipping and accumulation, early
stopping on a validation set, bf16 autocast on CUDA, and a checkpoint every epoch from which a killed run
resumes.

Resuming: after each epoch the model, optimiser, scheduler, early-stopping counters, best weights, history and
RNG states (torch's global generators and the shuffling generator, as tensors) go to
``<checkpoint_dir>/checkpoint.pt`` (written to a temporary file, then ``os.replace``d, so a kill never leaves half
a file). ``train`` with the same folder, data and config continues after the last finished epoch and, on CPU,
ends with the very weights an uninterrupted run ends with. A checkpoint of other data or config (its
fingerprint differs) is ignored and overwritten. Checkpoints hold tensors and primitive containers only and are
read with ``torch.load(weights_only=True)``.

Determinism: the caller builds the net inside ``reproducible(seed)``; shuffling uses its own seeded generator
(through the DataLoader's sampler) and dropout torch's seeded global one. numpy draws no random numbers here.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, OneCycleLR, ReduceLROnPlateau
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from forge_core.nets.architectures import VolNet
from forge_core.nets.train_config import TrainConfig
from forge_core.nets.training_losses import total_loss

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_VERSION = 1
EVAL_BATCH = 4096
Arrays = tuple[np.ndarray, np.ndarray]  # windows (n, L, k) float32, log targets (n,) float32
Log = Callable[[str], None] | None
Autocast = Callable[[], contextlib.AbstractContextManager[Any]]


@dataclass(frozen=True)
class TrainResult:
    history: list[dict[str, float]]  # one entry per epoch: epoch, train_loss, valid_loss, lr, best_valid_loss
    best_epoch: int
    best_valid_loss: float
    resumed_from: int  # the epoch the run resumed after, 0 if it started afresh


@contextlib.contextmanager
def one_thread(device: torch.device) -> Iterator[None]:
    """On CPU, run torch ops on one thread (restored on exit). These nets are small: more threads only add
    synchronisation (100x slower on a busy 2-core machine), and one thread makes results independent of the
    machine's core count."""
    previous = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def reproducible(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's global generators inside a fork of them (restored on exit) and, on CPU, ask for deterministic
    kernels on one thread (restored on exit too)."""
    previous = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda), one_thread(device):
        torch.manual_seed(seed)
        if not cuda:
            torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])


def precision(device: torch.device, name: str) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast for ``name == "bf16"`` on CUDA; full fp32 otherwise (CPU bf16 is slow and not asked for)."""
    if name == "bf16" and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train(
    net: VolNet,
    fit: Arrays,
    valid: Arrays,
    config: TrainConfig,
    *,
    device: torch.device,
    precision_name: str = "fp32",
    checkpoint_dir: Path | None = None,
    log: Log = None,
    name: str = "net",
    identity: str = "",
) -> TrainResult:
    """Train ``net`` in place on ``fit``, stop early on ``valid``, and leave the best-validation weights in it.

    Call inside ``reproducible`` (the caller seeds before building the net, so initial weights are seeded too)."""
    x, y = (torch.from_numpy(a).to(device) for a in fit)
    valid_t = tuple(torch.from_numpy(a).to(device) for a in valid)
    net.to(device)
    shuffle = torch.Generator().manual_seed(config.seed)
    sampler = BatchSampler(
        RandomSampler(range(len(x)), generator=shuffle), config.batch_size, drop_last=False
    )
    loader = DataLoader(TensorDataset(x, y), batch_size=None, sampler=sampler)
    sizes = [min(config.batch_size, len(x) - i * config.batch_size) for i in range(len(sampler))]
    group_rows = [sum(sizes[i : i + config.accumulate]) for i in range(0, len(sizes), config.accumulate)]
    optimiser = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = _scheduler(optimiser, config, steps_per_epoch=len(group_rows))
    autocast = functools.partial(precision, device, precision_name)
    progress: dict[str, Any] = {
        "epoch": 0,
        "best_loss": math.inf,
        "best_epoch": 0,
        "bad_epochs": 0,
        "history": [],
        "best": _cpu_state(net),
    }
    path = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT_NAME
    fingerprint = _fingerprint(config, net, fit, valid, identity)
    if path is not None and path.exists():
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved.get("version") == CHECKPOINT_VERSION and saved.get("fingerprint") == fingerprint:
            net.load_state_dict(saved["model"])
            optimiser.load_state_dict(saved["optimiser"])
            scheduler.load_state_dict(saved["scheduler"])
            torch.set_rng_state(saved["rng"]["cpu"])
            shuffle.set_state(saved["rng"]["shuffle"])
            if device.type == "cuda":
                torch.cuda.set_rng_state(saved["rng"]["cuda"], device)
            progress = {k: saved[k] for k in progress}
            epoch = progress["epoch"]
            done = epoch >= config.epochs or progress["bad_epochs"] >= config.patience
            state = (
                f"finished after epoch {epoch}" if done else f"resuming at epoch {epoch + 1}/{config.epochs}"
            )
            _log(log, f"{name} {state} in {path}")
        else:
            _log(log, f"{name} ignoring {path}: a checkpoint of other data or settings")
    resumed_from = progress["epoch"]

    while progress["epoch"] < config.epochs and progress["bad_epochs"] < config.patience:
        epoch = progress["epoch"] + 1
        lr = float(optimiser.param_groups[0]["lr"])
        train_loss = _train_epoch(net, loader, group_rows, optimiser, scheduler, config, autocast)
        valid_loss = evaluate(net, valid_t, config, autocast)
        if isinstance(scheduler, ReduceLROnPlateau):
            scheduler.step(valid_loss)
        elif isinstance(scheduler, CosineAnnealingLR):
            scheduler.step()
        if valid_loss < progress["best_loss"]:
            progress.update(best_loss=valid_loss, best_epoch=epoch, bad_epochs=0, best=_cpu_state(net))
        else:
            progress["bad_epochs"] += 1
        progress["epoch"] = epoch
        progress["history"].append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "valid_loss": valid_loss,
                "lr": lr,
                "best_valid_loss": progress["best_loss"],
            }
        )
        if path is not None:
            rng = {"cpu": torch.get_rng_state(), "shuffle": shuffle.get_state()}
            if device.type == "cuda":
                rng["cuda"] = torch.cuda.get_rng_state(device)
            _atomic_save(
                {
                    "version": CHECKPOINT_VERSION,
                    "fingerprint": fingerprint,
                    "model": net.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "rng": rng,
                    **progress,
                },
                path,
            )
        _log(
            log,
            f"{name} epoch {epoch}/{config.epochs} train {train_loss:.4f} valid {valid_loss:.4f} "
            f"lr {lr:.2e} best {progress['best_loss']:.4f}",
        )
    net.load_state_dict(progress["best"])
    return TrainResult(progress["history"], progress["best_epoch"], progress["best_loss"], resumed_from)


@torch.no_grad()
def evaluate(net: VolNet, data: tuple[Tensor, ...], config: TrainConfig, autocast: Autocast) -> float:
    """Mean training loss (point + weighted pinball) of ``net`` on ``data``, in eval mode."""
    net.eval()
    x, y = data
    total = 0.0
    for start in range(0, len(x), EVAL_BATCH):
        xb, yb = x[start : start + EVAL_BATCH], y[start : start + EVAL_BATCH]
        with autocast():
            s, q = net(xb)
        loss = total_loss(s, q, yb, config.loss, net.head.levels, config.quantile_weight)
        total += loss.item() * len(xb)
    return total / len(x)


def _train_epoch(
    net: VolNet,
    loader: DataLoader[tuple[Tensor, ...]],
    group_rows: list[int],
    optimiser: torch.optim.Optimizer,
    scheduler: LRScheduler | ReduceLROnPlateau,
    config: TrainConfig,
    autocast: Autocast,
) -> float:
    """One pass over the shuffled batches. Gradients of ``accumulate`` consecutive batches add up, each weighted by
    its share of the group's rows, so a step follows the gradient of the mean loss over the whole group."""
    net.train()
    total, rows = 0.0, 0
    optimiser.zero_grad(set_to_none=True)
    last = len(loader) - 1
    for i, (xb, yb) in enumerate(loader):
        with autocast():
            s, q = net(xb)
        loss = total_loss(s, q, yb, config.loss, net.head.levels, config.quantile_weight)
        (loss * (len(xb) / group_rows[i // config.accumulate])).backward()
        total += loss.item() * len(xb)
        rows += len(xb)
        if (i + 1) % config.accumulate == 0 or i == last:
            if config.clip > 0:
                nn.utils.clip_grad_norm_(net.parameters(), config.clip)
            optimiser.step()
            optimiser.zero_grad(set_to_none=True)
            if isinstance(scheduler, OneCycleLR):
                scheduler.step()
    return total / rows


def _scheduler(
    optimiser: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> LRScheduler | ReduceLROnPlateau:
    """cosine: annealed to 0 over ``epochs`` (stepped per epoch); onecycle: warm-up then annealing over every
    optimiser step; plateau: halved after patience // 2 epochs without a better validation loss."""
    if config.schedule == "cosine":
        return CosineAnnealingLR(optimiser, T_max=config.epochs)
    if config.schedule == "onecycle":
        return OneCycleLR(optimiser, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch)
    return ReduceLROnPlateau(optimiser, factor=0.5, patience=max(1, config.patience // 2))


def _fingerprint(config: TrainConfig, net: nn.Module, fit: Arrays, valid: Arrays, identity: str) -> str:
    """Hash of the caller's identity of the model (family, task, every hyperparameter, including those that leave
    the parameter shapes alone such as dropout), the config, the parameter shapes and the data: a checkpoint of
    anything else is not resumed."""
    digest = hashlib.sha256(identity.encode())
    digest.update(repr(config).encode())
    digest.update(repr([(k, tuple(v.shape)) for k, v in net.state_dict().items()]).encode())
    for array in (*fit, *valid):
        digest.update(repr(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _cpu_state(net: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}


def _atomic_save(obj: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)  # atomic (os.replace)


def _log(log: Log, message: str) -> None:
    if log is not None:
        log(message)
