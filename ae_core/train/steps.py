"""The pieces ``fit`` is built from that know nothing of a run's state: the validation split,
the learning-rate schedule, the time left, one L-BFGS step, the objective as a module and
the validation loss."""

from __future__ import annotations

import math

import numpy as np
import torch

from ae_core.data.sparse_rows import SparseRows
from ae_core.models import Autoencoder


def split_validation(x_train, x_val, val_fraction: float | None, seed: int, input_shape) -> tuple:
    """The ``(train, validation)`` tensors of a run.

    Parameters
    ----------
    x_train, x_val : array, tensor or SparseRows
        The data; ``x_val`` None holds out ``val_fraction`` of ``x_train`` (seeded). Sparse rows
        (a mostly missing matrix, made dense one batch at a time) need ``x_val``.
    val_fraction : float or None
        None validates on the training data itself.
    seed : int
        Seeds which samples are held out.
    input_shape : tuple of int
        What the model takes; data of another shape is refused.

    Returns
    -------
    tuple
        The training and validation data, float32 tensors or SparseRows; the held-out split has at
        least 1 and at most n - 1 samples.

    Raises
    ------
    ValueError
        For data of the wrong shape, sparse rows without ``x_val``, or fewer than 2 samples to split.
    """
    x = as_rows(x_train)
    if tuple(x.shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"training data has samples of shape {tuple(x.shape[1:])}, the model expects {tuple(input_shape)}"
        )
    if x_val is not None:
        return x, as_rows(x_val)
    if val_fraction is None:
        return x, x
    if isinstance(x, SparseRows):
        raise ValueError("sparse training rows need x_val (a held-out split of them would be made dense)")
    if len(x) < 2:
        raise ValueError(f"need at least 2 training samples to hold out a validation split, got {len(x)}")
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_val = min(max(1, round(len(x) * val_fraction)), len(x) - 1)
    return x[perm[n_val:]], x[perm[:n_val]]


def as_rows(x) -> torch.Tensor | SparseRows:
    """``x`` as a float32 tensor; ``SparseRows`` stay sparse (their batches are made dense).

    Parameters
    ----------
    x : array-like, tensor or SparseRows

    Returns
    -------
    tensor or SparseRows
    """
    if isinstance(x, SparseRows):
        return x
    return torch.as_tensor(np.asarray(x, dtype=np.float32)) if not torch.is_tensor(x) else x.float()


def learning_rate(lr: float, schedule: str, progress: float) -> float:
    """The learning rate ``progress`` (0 to 1) into a run: ``lr``, or cosine-annealed to 1% of it.

    Parameters
    ----------
    lr : float
        The initial learning rate.
    schedule : str
        "constant" or "cosine".
    progress : float
        From 0 to 1.

    Returns
    -------
    float
    """
    if schedule == "constant":
        return lr
    return lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))


def seconds_left(elapsed: float, done: int, total: int, budget: float | None) -> float:
    """Seconds left: by the steps still to take, or by the time budget when that ends sooner.

    Parameters
    ----------
    elapsed : float
        Seconds so far.
    done : int
        Steps taken.
    total : int
        Steps planned.
    budget : float or None
        The run's time limit in seconds.

    Returns
    -------
    float
    """
    by_steps = elapsed / max(done, 1) * max(total - done, 0)
    return min(by_steps, max(budget - elapsed, 0.0)) if budget else by_steps


def lbfgs_step(optimizer, step_module, x, generator) -> dict[str, torch.Tensor]:
    """One L-BFGS call (up to its ``max_iter`` iterations) on the whole batch ``x``; returns the
    loss parts of its last evaluation.

    Parameters
    ----------
    optimizer : torch.optim.LBFGS
    step_module : LossModule
        Maps ``(x, generator)`` to the loss parts.
    x : tensor
    generator : torch.Generator or None

    Returns
    -------
    dict
        Named loss parts and ``"loss"``.
    """
    parts: dict[str, torch.Tensor] = {}

    def closure():
        optimizer.zero_grad(set_to_none=True)
        parts.update(step_module(x, generator))
        parts["loss"].backward()
        return parts["loss"]

    optimizer.step(closure)
    return parts


class LossModule(torch.nn.Module):
    """The training objective as a module, so DistributedDataParallel wraps all of it.

    Parameters
    ----------
    model : Autoencoder
    """

    def __init__(self, model: Autoencoder):
        super().__init__()
        self.model = model

    def forward(self, x, generator=None):
        """The model's training loss on one batch.

        Parameters
        ----------
        x : tensor
            A batch of training data.
        generator : torch.Generator, optional
            For the noise and masks drawn while training.

        Returns
        -------
        dict
            Named loss parts and ``"loss"``, their total, as scalar tensors.
        """
        return self.model.training_loss(x, generator)


@torch.no_grad()
def evaluate_loss(model: Autoencoder, x: torch.Tensor, batch_size: int, device, dist=None) -> dict[str, float]:
    """Mean loss parts over ``x``, in eval mode (no noise, no sampling).

    The model is left in eval mode; ``fit`` puts it back in training mode at the next epoch.

    Parameters
    ----------
    model : Autoencoder
    x : tensor
        Validation data.
    batch_size : int
        A quarter of the chunk size the loss is computed in.
    device : torch.device
        Where each chunk is moved before the model sees it.

    Returns
    -------
    dict of str to float
        Each loss part (``loss``, ``recon``, ...) averaged over the samples.
    """
    model.eval()
    sums: dict[str, torch.Tensor] = {}
    # The same noise every validation pass, drawn where the chunks live (not on the host for a GPU).
    generator = torch.Generator(torch.device(device)).manual_seed(0)
    for i in range(0, len(x), batch_size * 4):
        xb = x[i : i + batch_size * 4].to(device)
        with torch.enable_grad() if model.penalty_needs_grad else torch.no_grad():
            parts = model.validation_loss(xb, generator)
        for name, value in parts.items():
            # Summed as tensors, read once at the end: an accelerator is not made to wait per chunk.
            sums[name] = sums.get(name, 0.0) + value.detach().float() * len(xb)
    return {k: float(v) / max(len(x), 1) for k, v in sums.items()}
