"""One training loop for every model: validation, early stopping, time budget, stop event,
callbacks, resumable checkpoints, and DistributedDataParallel under torchrun. It never prints."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ae_core.data.sparse_rows import SparseRows
from ae_core.models import Autoencoder
from ae_core.train.runtime import Distributed, resolve_device, set_threads

DEVICE_DATA_BYTES = 4 << 30  # training data up to this size is moved to an accelerator once
LBFGS_STEPS_PER_EPOCH = 50  # iterations of one epoch for models trained full-batch (``optimizer = "lbfgs"``)


@dataclass(frozen=True)
class BatchInfo:
    epoch: int  # 1-based
    batch: int  # 1-based, within the epoch
    batches: int  # batches per epoch
    loss: float
    elapsed: float  # seconds since fit started
    eta: float  # estimated seconds left


@dataclass(frozen=True)
class EpochInfo:
    epoch: int
    epochs: int
    train: dict[str, float]  # mean loss parts over the epoch
    val: dict[str, float]  # loss parts on the validation split
    best: bool  # whether this epoch improved the best validation loss
    elapsed: float
    eta: float
    lr: float


@dataclass
class FitResult:
    history: list[dict[str, Any]] = field(default_factory=list)  # one row per epoch
    best_epoch: int = 0
    best_val_loss: float = math.inf
    # completed | early_stopping | time_budget | stop_event | interrupted (Ctrl-C, or a save made
    # while the run was still going) | non_finite (the loss became NaN or inf)
    stopped: str = "completed"
    epochs_run: int = 0
    seconds: float = 0.0
    epochs_planned: int = 0

    def as_dict(self) -> dict[str, Any]:
        """What a checkpoint's ``training`` section stores (and ``resume`` reads back)."""
        return {
            "epoch": self.epochs_run,
            "epochs": self.epochs_planned,
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "history": self.history,
            "stopped": self.stopped,
            "seconds": round(self.seconds, 2),
        }

    @classmethod
    def resumed(cls, training: dict[str, Any]) -> tuple[int, FitResult]:
        """(epochs already run, the result so far) from a saved ``training`` section."""
        result = cls(
            history=list(training.get("history", [])),
            best_epoch=int(training.get("best_epoch", 0)),
            best_val_loss=float(training.get("best_val_loss", math.inf)),
        )
        return int(training.get("epoch", 0)), result


def fit(
    model: Autoencoder,
    x_train: np.ndarray | torch.Tensor,
    *,
    x_val: np.ndarray | torch.Tensor | None = None,
    val_fraction: float = 0.1,
    epochs: int = 20,
    batch_size: int = 128,
    lr: float = 3e-3,
    weight_decay: float = 0.0,
    schedule: str = "cosine",
    patience: int | None = None,
    max_minutes: float | None = None,
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    stop_event: threading.Event | None = None,
    on_batch: Callable[[BatchInfo], None] | None = None,
    on_epoch: Callable[[EpochInfo], None] | None = None,
    on_improve: Callable[[Autoencoder, torch.optim.Optimizer | None, dict[str, Any]], None] | None = None,
    resume: Callable[[Autoencoder, torch.optim.Optimizer], dict[str, Any]] | None = None,
) -> FitResult:
    """Train ``model`` in place; at the end it holds the weights of the best validation epoch.

    Parameters
    ----------
    x_train : float32 data shaped ``(N, *model.input_shape)``, or ``SparseRows`` (a mostly missing
        matrix, cut into dense batches as it trains; give ``x_val`` with it)
    x_val : validation data; if None, ``val_fraction`` of ``x_train`` is held out (seeded), except
        for models that say ``holds_out_validation = False`` (linear: they validate on all of it)
    batch_size, lr, schedule : for minibatch AdamW; a model with ``optimizer = "lbfgs"`` (linear)
        takes ``LBFGS_STEPS_PER_EPOCH`` full-batch L-BFGS iterations per epoch instead
    schedule : "cosine" decays the learning rate to 1% over the run (by epochs, or by the time
        budget when that ends sooner), "constant" keeps it
    patience : stop after this many epochs without a better validation loss (None: never)
    max_minutes : time budget; the run stops after the batch that crosses it
    seed : seeds the split, the batch order, the noise and the sampling: runs repeat exactly
    device : "auto", "cpu", "cuda" or "mps"
    threads : torch CPU threads; default all cores this process may use (set it lower when a UI
        shares the machine)
    stop_event : when set, training stops after the current batch and keeps the best weights
    on_batch, on_epoch : progress callbacks
    on_improve : called with (model, optimizer or None, training section) whenever the
        validation loss improves, on the main process: ``checkpointing.save_best_to(folder)``
        saves the run there, so a crash loses nothing saved
    resume : loads the state to continue from into (model, optimizer) and returns the saved
        training section (epoch count, history, best epoch): ``checkpointing.resume_from(folder)``
    """
    _validate(epochs, batch_size, lr, val_fraction, schedule, patience, max_minutes)
    set_threads(threads)
    dist = Distributed.from_environment(device)
    torch_device = dist.device if dist.active else resolve_device(device)
    x_train, x_val = _split(
        x_train, x_val, val_fraction if model.holds_out_validation else None, seed, model.input_shape
    )
    full_batch = model.optimizer == "lbfgs"
    if resume is None:
        model.prepare(x_train)
    model.to(torch_device)
    images = len(model.input_shape) == 3
    if images and torch_device.type == "cpu":
        # oneDNN convolutions run about a fifth faster on channels-last tensors on CPUs.
        model.to(memory_format=torch.channels_last)
    optimizer = (
        # Strong Wolfe line search chooses each step, so ``lr`` stays 1 and the schedule is unused.
        torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=LBFGS_STEPS_PER_EPOCH, line_search_fn="strong_wolfe")
        if full_batch
        else torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    )
    result = FitResult()
    start_epoch = 0
    if resume is not None:
        start_epoch, result = FitResult.resumed(resume(model, optimizer))
    result.epochs_planned = epochs
    step_module = dist.wrap(_LossModule(model))
    generator = torch.Generator().manual_seed(seed + dist.rank)
    # Noise is drawn where the batch lives: with a CPU generator an accelerator would wait on the host.
    noise_generator = (
        generator if torch_device.type == "cpu" else torch.Generator(torch_device).manual_seed(seed + dist.rank)
    )
    if torch_device.type != "cpu" and x_train.nbytes <= DEVICE_DATA_BYTES:
        x_train = x_train.to(torch_device)  # batches are then cut on the device: no copy per step
    torch.manual_seed(seed + dist.rank)
    best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    shard = dist.shard_indices(len(x_train), seed)
    if full_batch:
        batch_size = len(shard)
    n_batches = max(1, math.ceil(len(shard) / batch_size))
    total_batches = (epochs - start_epoch) * n_batches
    t0 = time.perf_counter()
    budget = None if max_minutes is None else max_minutes * 60.0
    stale = 0
    done_batches = 0
    failure = ""
    try:
        for epoch in range(start_epoch + 1, epochs + 1):
            model.train()
            order = shard[torch.randperm(len(shard), generator=generator)].to(x_train.device)
            sums: dict[str, float] = {}
            seen = 0
            for b in range(n_batches):
                progress = max(done_batches / max(total_batches, 1), _elapsed(t0) / budget if budget else 0.0)
                lr_now = 1.0 if full_batch else _learning_rate(lr, schedule, min(progress, 1.0))
                for group in optimizer.param_groups:
                    group["lr"] = lr_now
                xb = x_train[order[b * batch_size : (b + 1) * batch_size]].to(torch_device, non_blocking=True)
                if images and torch_device.type == "cpu":
                    xb = xb.contiguous(memory_format=torch.channels_last)
                if full_batch:
                    parts = _lbfgs_step(optimizer, step_module, xb, noise_generator)
                else:
                    parts = step_module(xb, noise_generator)
                # A step on a NaN or inf loss would ruin the weights: stop with the best epoch kept. Checked
                # per batch on the CPU; an accelerator is not made to wait (its epoch's sums are checked below).
                if torch_device.type == "cpu" and not math.isfinite(float(parts["loss"].detach())):
                    failure = f"epoch {epoch}, batch {b + 1}"
                    break
                if not full_batch:
                    optimizer.zero_grad(set_to_none=True)
                    parts["loss"].backward()
                    optimizer.step()
                done_batches += 1
                for name, value in parts.items():
                    # Summed as tensors: a float() per batch would make an accelerator wait for every step.
                    sums[name] = sums.get(name, 0.0) + value.detach() * len(xb)
                seen += len(xb)
                elapsed = _elapsed(t0)
                eta = _eta(elapsed, done_batches, total_batches, budget)
                if on_batch is not None:
                    on_batch(BatchInfo(epoch, b + 1, n_batches, float(parts["loss"].detach()), elapsed, eta))
                if _interrupted(stop_event, budget, elapsed, dist):
                    break
            if failure:
                break
            train_parts = dist.mean({k: float(v) / max(seen, 1) for k, v in sums.items()})
            if not math.isfinite(train_parts.get("loss", 0.0)):
                failure = f"epoch {epoch}"
                break
            val_parts = dist.mean(evaluate_loss(model, x_val, batch_size, torch_device, dist))
            if not math.isfinite(val_parts["loss"]):
                failure = f"epoch {epoch} (validation)"
                break
            improved = not math.isfinite(result.best_val_loss) or val_parts["loss"] < result.best_val_loss - 1e-6 * abs(
                result.best_val_loss
            )
            if improved:
                result.best_val_loss, result.best_epoch, stale = val_parts["loss"], epoch, 0
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
            elapsed = _elapsed(t0)
            result.history.append(
                {"epoch": epoch, "train": train_parts, "val": val_parts, "seconds": elapsed, "lr": lr_now}
            )
            result.epochs_run, result.seconds = epoch, elapsed
            if improved and on_improve is not None and dist.is_main:
                # Saved while the run goes on: if it is killed, the checkpoint says so ("epoch k of n").
                training = {**result.as_dict(), "stopped": "interrupted"}
                # L-BFGS's state is lists of past steps, not tensors; a resumed run rebuilds it in a few iterations.
                on_improve(model, None if full_batch else optimizer, training)
            if on_epoch is not None:
                eta = _eta(elapsed, done_batches, total_batches, budget)
                on_epoch(EpochInfo(epoch, epochs, train_parts, val_parts, improved, elapsed, eta, lr_now))
            if stop_event is not None and stop_event.is_set():
                result.stopped = "stop_event"
            elif budget is not None and _elapsed(t0) >= budget:
                result.stopped = "time_budget"
            elif patience is not None and stale >= patience:
                result.stopped = "early_stopping"
            if dist.agree_to_stop(result.stopped != "completed"):
                break
    except KeyboardInterrupt:
        result.stopped = "interrupted"
    if failure:
        result.stopped = "non_finite"
        if result.best_epoch == 0:
            dist.close()
            raise ValueError(
                f"the loss became NaN or infinite at {failure} before any epoch was finished, so nothing was "
                f"learned; try a smaller learning rate (it was {lr:g})"
            )
    model.load_state_dict(best_state)
    result.seconds = _elapsed(t0)
    dist.close()
    return result


@torch.no_grad()
def evaluate_loss(model: Autoencoder, x: torch.Tensor, batch_size: int, device, dist=None) -> dict[str, float]:
    """Mean loss parts over ``x`` (eval mode: no noise, no sampling)."""
    model.eval()
    sums: dict[str, float] = {}
    generator = torch.Generator().manual_seed(0)  # the same noise every validation pass
    for i in range(0, len(x), batch_size * 4):
        xb = x[i : i + batch_size * 4].to(device)
        with torch.enable_grad() if model.penalty_needs_grad else torch.no_grad():
            parts = model.validation_loss(xb, generator)
        for name, value in parts.items():
            sums[name] = sums.get(name, 0.0) + float(value.detach()) * len(xb)
    model.train()
    return {k: v / max(len(x), 1) for k, v in sums.items()}


def _lbfgs_step(optimizer, step_module, x, generator) -> dict[str, torch.Tensor]:
    """One L-BFGS call (up to ``LBFGS_STEPS_PER_EPOCH`` iterations) on the whole batch ``x``;
    returns the loss parts of its last evaluation."""
    parts: dict[str, torch.Tensor] = {}

    def closure():
        optimizer.zero_grad(set_to_none=True)
        parts.update(step_module(x, generator))
        parts["loss"].backward()
        return parts["loss"]

    optimizer.step(closure)
    return parts


class _LossModule(torch.nn.Module):
    """The training objective as a module, so DistributedDataParallel wraps all of it."""

    def __init__(self, model: Autoencoder):
        super().__init__()
        self.model = model

    def forward(self, x, generator=None):
        return self.model.training_loss(x, generator)


def _split(x_train, x_val, val_fraction, seed, input_shape):
    """``(train, validation)`` tensors; ``val_fraction`` None validates on the training data."""
    x = _rows(x_train)
    if tuple(x.shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"training data has samples of shape {tuple(x.shape[1:])}, the model expects {tuple(input_shape)}"
        )
    if x_val is not None:
        return x, _rows(x_val)
    if val_fraction is None:
        return x, x
    if isinstance(x, SparseRows):
        raise ValueError("sparse training rows need x_val (a held-out split of them would be made dense)")
    if len(x) < 2:
        raise ValueError(f"need at least 2 training samples to hold out a validation split, got {len(x)}")
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_val = min(max(1, round(len(x) * val_fraction)), len(x) - 1)
    return x[perm[n_val:]], x[perm[:n_val]]


def _rows(x):
    """``x`` as a float32 tensor; ``SparseRows`` stay sparse (their batches are made dense)."""
    if isinstance(x, SparseRows):
        return x
    return torch.as_tensor(np.asarray(x, dtype=np.float32)) if not torch.is_tensor(x) else x.float()


def _validate(epochs, batch_size, lr, val_fraction, schedule, patience, max_minutes):
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a positive finite number, got {lr}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    if patience is not None and patience < 1:
        raise ValueError(f"patience must be at least 1, got {patience}")
    if max_minutes is not None and not max_minutes > 0:
        raise ValueError(f"max_minutes must be positive, got {max_minutes}")


def _learning_rate(lr: float, schedule: str, progress: float) -> float:
    if schedule == "constant":
        return lr
    return lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))


def _elapsed(t0: float) -> float:
    return time.perf_counter() - t0


def _eta(elapsed: float, done: int, total: int, budget: float | None) -> float:
    by_steps = elapsed / max(done, 1) * max(total - done, 0)
    return min(by_steps, max(budget - elapsed, 0.0)) if budget else by_steps


def _interrupted(stop_event, budget, elapsed, dist) -> bool:
    local = bool(stop_event is not None and stop_event.is_set()) or bool(budget is not None and elapsed >= budget)
    return dist.agree_to_stop(local)
