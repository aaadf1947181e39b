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

from ae_core.models import Autoencoder
from ae_core.train.progress import BatchInfo, EpochInfo, FitResult
from ae_core.train.runtime import Distributed, resolve_device, set_threads
from ae_core.train.settings import TrainingSettings
from ae_core.train.steps import LossModule, evaluate_loss, lbfgs_step, learning_rate, seconds_left, split_validation

DEVICE_DATA_BYTES = 4 << 30  # training data up to this size is moved to an accelerator once
LBFGS_STEPS_PER_EPOCH = 50  # iterations of one epoch for models trained full-batch (``optimizer = "lbfgs"``)

__all__ = ["BatchInfo", "EpochInfo", "FitResult", "evaluate_loss", "fit"]


def fit(
    model: Autoencoder,
    x_train: np.ndarray | torch.Tensor,
    settings: TrainingSettings | None = None,
    *,
    x_val: np.ndarray | torch.Tensor | None = None,
    device: str = "auto",
    threads: int | None = None,
    stop_event: threading.Event | None = None,
    on_batch: Callable[[BatchInfo], None] | None = None,
    on_epoch: Callable[[EpochInfo], None] | None = None,
    on_improve: Callable[[Autoencoder, torch.optim.Optimizer | None, dict[str, Any]], None] | None = None,
    resume: Callable[[Autoencoder, torch.optim.Optimizer], dict[str, Any]] | None = None,
    **overrides: Any,
) -> FitResult:
    """Train ``model`` in place; at the end it holds the weights of the best validation epoch
    and is in eval mode.

    Parameters
    ----------
    model : Autoencoder
        The model to train; a model with ``optimizer = "lbfgs"`` (linear) takes
        ``LBFGS_STEPS_PER_EPOCH`` full-batch L-BFGS iterations per epoch instead of AdamW
        minibatches (``batch_size``, ``lr`` and ``schedule`` are then unused).
    x_train : array, tensor or SparseRows
        float32 data shaped ``(N, *model.input_shape)``, or ``SparseRows`` (a mostly missing
        matrix, cut into dense batches as it trains; give ``x_val`` with it).
    settings : TrainingSettings, optional
        Epochs, batch size, learning rate, schedule, patience, time budget, seed and validation
        share; ``TrainingSettings()`` if not given.
    x_val : array or tensor, optional
        Validation data; if None, ``settings.val_fraction`` of ``x_train`` is held out (seeded),
        except for models that say ``holds_out_validation = False`` (linear: they validate on
        all of it).
    device : {"auto", "cpu", "cuda", "mps"}
        Where to train.
    threads : int, optional
        torch CPU threads; default all cores this process may use (set it lower when a UI
        shares the machine).
    stop_event : threading.Event, optional
        When set, training stops after the current batch and keeps the best weights.
    on_batch, on_epoch : callable, optional
        Progress callbacks, given a ``BatchInfo`` / an ``EpochInfo``.
    on_improve : callable, optional
        Called with (model, optimizer or None, training section) whenever the validation loss
        improves, on the main process: ``checkpointing.save_best_to(folder)`` saves the run
        there, so a crash loses nothing saved.
    resume : callable, optional
        Loads the state to continue from into (model, optimizer) and returns the saved training
        section (epoch count, history, best epoch): ``checkpointing.resume_from(folder)``.
    **overrides
        Settings by name (``epochs=5``), applied on top of ``settings``.

    Returns
    -------
    FitResult
        The history, the best epoch and why the run stopped.

    Raises
    ------
    ValueError
        For a bad setting, device or data shape, or when the loss stops being finite before
        any epoch was finished.
    """
    settings = (settings or TrainingSettings()).replace(**overrides)
    set_threads(threads)
    run = _start(model, x_train, x_val, settings, device, resume)
    try:
        for epoch in range(run.start_epoch + 1, settings.epochs + 1):
            train_parts, lr_now = _train_epoch(run, epoch, stop_event, on_batch)
            if run.failure:
                break
            info = _end_epoch(run, epoch, train_parts, lr_now, on_improve)
            if run.failure:
                break
            if on_epoch is not None:
                on_epoch(info)
            run.result.stopped = _stop_reason(run, stop_event, run.stale)
            if run.dist.agree_to_stop(run.result.stopped != "completed"):
                break
    except KeyboardInterrupt:
        run.result.stopped = "interrupted"
    return _finish(run)


@dataclass
class _Run:
    """One run: what ``_start`` set up, and the counters its epochs move on."""

    model: Autoencoder
    settings: TrainingSettings
    dist: Distributed
    device: torch.device
    x_train: torch.Tensor
    x_val: torch.Tensor
    optimizer: torch.optim.Optimizer
    step_module: torch.nn.Module
    generator: torch.Generator
    noise_generator: torch.Generator
    shard: torch.Tensor  # this process's sample indices
    batch_size: int
    n_batches: int
    total_batches: int
    start_epoch: int
    result: FitResult
    best_state: dict[str, torch.Tensor]
    t0: float = field(default_factory=time.perf_counter)
    done_batches: int = 0
    stale: int = 0  # epochs since the best one
    failure: str = ""  # where the loss stopped being finite

    @property
    def full_batch(self) -> bool:
        return self.model.optimizer == "lbfgs"

    @property
    def channels_last(self) -> bool:
        # oneDNN convolutions run about a fifth faster on channels-last tensors on CPUs.
        return len(self.model.input_shape) == 3 and self.device.type == "cpu"

    @property
    def budget(self) -> float | None:
        minutes = self.settings.max_minutes
        return None if minutes is None else minutes * 60.0


def _start(model, x_train, x_val, settings: TrainingSettings, device: str, resume) -> _Run:
    """Devices, the validation split, the optimizer, the seeds and the resumed state."""
    dist = Distributed.from_environment(device)
    torch_device = dist.device if dist.active else resolve_device(device)
    seed = settings.seed
    x_train, x_val = split_validation(
        x_train, x_val, settings.val_fraction if model.holds_out_validation else None, seed, model.input_shape
    )
    full_batch = model.optimizer == "lbfgs"
    if resume is None:
        model.prepare(x_train)
    model.to(torch_device)
    if len(model.input_shape) == 3 and torch_device.type == "cpu":
        model.to(memory_format=torch.channels_last)
    optimizer = (
        # Strong Wolfe line search chooses each step, so ``lr`` stays 1 and the schedule is unused.
        torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=LBFGS_STEPS_PER_EPOCH, line_search_fn="strong_wolfe")
        if full_batch
        else torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    )
    result = FitResult()
    start_epoch = 0
    if resume is not None:
        start_epoch, result = FitResult.resumed(resume(model, optimizer))
    result.epochs_planned = settings.epochs
    step_module = dist.wrap(LossModule(model))
    generator = torch.Generator().manual_seed(seed + dist.rank)
    # Noise is drawn where the batch lives: with a CPU generator an accelerator would wait on the host.
    noise_generator = (
        generator if torch_device.type == "cpu" else torch.Generator(torch_device).manual_seed(seed + dist.rank)
    )
    if torch_device.type != "cpu" and x_train.nbytes <= DEVICE_DATA_BYTES:
        x_train = x_train.to(torch_device)  # batches are then cut on the device: no copy per step
    torch.manual_seed(seed + dist.rank)
    best_state = _state_copy(model)
    shard = dist.shard_indices(len(x_train), seed)
    batch_size = len(shard) if full_batch else settings.batch_size
    n_batches = max(1, math.ceil(len(shard) / batch_size))
    return _Run(
        model=model,
        settings=settings,
        dist=dist,
        device=torch_device,
        x_train=x_train,
        x_val=x_val,
        optimizer=optimizer,
        step_module=step_module,
        generator=generator,
        noise_generator=noise_generator,
        shard=shard,
        batch_size=batch_size,
        n_batches=n_batches,
        total_batches=(settings.epochs - start_epoch) * n_batches,
        start_epoch=start_epoch,
        result=result,
        best_state=best_state,
    )


def _train_epoch(run: _Run, epoch: int, stop_event, on_batch) -> tuple[dict[str, float], float]:
    """One pass over this process's shard: the mean loss parts and the last learning rate.
    Stops early (``run.failure`` set) on a non-finite loss, or on a stop or the time budget."""
    model, optimizer, budget = run.model, run.optimizer, run.budget
    model.train()
    order = run.shard[torch.randperm(len(run.shard), generator=run.generator)].to(run.x_train.device)
    sums: dict[str, torch.Tensor] = {}
    seen = 0
    lr_now = run.settings.lr
    for b in range(run.n_batches):
        progress = max(run.done_batches / max(run.total_batches, 1), _elapsed(run.t0) / budget if budget else 0.0)
        lr_now = 1.0 if run.full_batch else learning_rate(run.settings.lr, run.settings.schedule, min(progress, 1.0))
        for group in optimizer.param_groups:
            group["lr"] = lr_now
        xb = run.x_train[order[b * run.batch_size : (b + 1) * run.batch_size]].to(run.device, non_blocking=True)
        if run.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        if run.full_batch:
            parts = lbfgs_step(optimizer, run.step_module, xb, run.noise_generator)
        else:
            with torch.autocast(run.device.type, torch.bfloat16, enabled=run.settings.precision == "bfloat16"):
                parts = run.step_module(xb, run.noise_generator)
            parts = {name: value.float() for name, value in parts.items()}  # summed over the epoch below
        # A step on a NaN or inf loss would ruin the weights: stop with the best epoch kept. Checked
        # per batch on the CPU; an accelerator is not made to wait (its epoch's sums are checked later).
        if run.device.type == "cpu" and not math.isfinite(float(parts["loss"].detach())):
            run.failure = f"epoch {epoch}, batch {b + 1}"
            break
        if not run.full_batch:
            optimizer.zero_grad(set_to_none=True)
            parts["loss"].backward()
            optimizer.step()
        run.done_batches += 1
        for name, value in parts.items():
            # Summed as tensors: a float() per batch would make an accelerator wait for every step.
            sums[name] = sums.get(name, 0.0) + value.detach() * len(xb)
        seen += len(xb)
        elapsed = _elapsed(run.t0)
        eta = seconds_left(elapsed, run.done_batches, run.total_batches, budget)
        if on_batch is not None:
            on_batch(BatchInfo(epoch, b + 1, run.n_batches, parts["loss"].detach(), elapsed, eta))
        if _interrupted(stop_event, budget, elapsed, run.dist):
            break
    return {k: float(v) / max(seen, 1) for k, v in sums.items()}, lr_now


def _end_epoch(run: _Run, epoch: int, train_parts, lr_now: float, on_improve) -> EpochInfo | None:
    """Validate, keep the weights if they are the best so far (and hand them to ``on_improve``),
    and add the epoch to the history. None (``run.failure`` set) when a loss is not finite."""
    result = run.result
    train_parts = run.dist.mean(train_parts)
    if not math.isfinite(train_parts.get("loss", 0.0)):
        run.failure = f"epoch {epoch}"
        return None
    val_parts = run.dist.mean(evaluate_loss(run.model, run.x_val, run.batch_size, run.device, run.dist))
    if not math.isfinite(val_parts["loss"]):
        run.failure = f"epoch {epoch} (validation)"
        return None
    improved = _improves(val_parts["loss"], result.best_val_loss)
    if improved:
        result.best_val_loss, result.best_epoch, run.stale = val_parts["loss"], epoch, 0
        run.best_state = _state_copy(run.model)
    else:
        run.stale += 1
    elapsed = _elapsed(run.t0)
    result.history.append({"epoch": epoch, "train": train_parts, "val": val_parts, "seconds": elapsed, "lr": lr_now})
    result.epochs_run, result.seconds = epoch, elapsed
    if improved and on_improve is not None and run.dist.is_main:
        # Saved while the run goes on: if it is killed, the checkpoint says so ("epoch k of n").
        training = {**result.as_dict(), "stopped": "interrupted"}
        # L-BFGS's state is lists of past steps, not tensors; a resumed run rebuilds it in a few iterations.
        on_improve(run.model, None if run.full_batch else run.optimizer, training)
    eta = seconds_left(elapsed, run.done_batches, run.total_batches, run.budget)
    return EpochInfo(epoch, run.settings.epochs, train_parts, val_parts, improved, elapsed, eta, lr_now)


def _improves(loss: float, best: float) -> bool:
    """A better validation loss: the first finite one, or lower than the best by a relative 1e-6."""
    return not math.isfinite(best) or loss < best - 1e-6 * abs(best)


def _stop_reason(run: _Run, stop_event, stale: int) -> str:
    """Why the run ends after this epoch ("completed": it goes on, or it ran every epoch)."""
    patience, budget = run.settings.patience, run.budget
    if stop_event is not None and stop_event.is_set():
        return "stop_event"
    if budget is not None and _elapsed(run.t0) >= budget:
        return "time_budget"
    if patience is not None and stale >= patience:
        return "early_stopping"
    return "completed"


def _finish(run: _Run) -> FitResult:
    """Put the best epoch's weights back (eval mode) and close the process group."""
    result = run.result
    if run.failure:
        result.stopped = "non_finite"
        if result.best_epoch == 0:
            run.dist.close()
            raise ValueError(
                f"the loss became NaN or infinite at {run.failure} before any epoch was finished, so nothing was "
                f"learned; try a smaller learning rate (it was {run.settings.lr:g})"
            )
    run.model.load_state_dict(run.best_state)
    run.model.eval()
    result.seconds = _elapsed(run.t0)
    run.dist.close()
    return result


def _state_copy(model: Autoencoder) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _elapsed(t0: float) -> float:
    return time.perf_counter() - t0


def _interrupted(stop_event, budget, elapsed, dist) -> bool:
    local = bool(stop_event is not None and stop_event.is_set()) or bool(budget is not None and elapsed >= budget)
    return dist.agree_to_stop(local)
