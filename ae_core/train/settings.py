"""The settings of a training run, with their one set of defaults: ``fit``, ``TrainingRequest``,
the command line and the Train page all start from ``TrainingSettings()``."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

SCHEDULES = ("cosine", "constant")
PRECISIONS = ("float32", "bfloat16")
# Epochs of a run that only its time budget ends ("train for 10 minutes"): so many that the
# cosine schedule follows the clock, not the epoch count.
UNTIL_BUDGET = 1_000_000


@dataclass(frozen=True)
class TrainingSettings:
    """How a model is trained (not where or with which callbacks); checked when made.

    Parameters
    ----------
    epochs : int
        Passes over the training data.
    batch_size : int
        Samples per AdamW step (ignored by models trained full-batch with L-BFGS).
    lr : float
        AdamW's peak learning rate.
    weight_decay : float
        AdamW's decoupled weight decay.
    schedule : {"cosine", "constant"}
        "cosine" decays the learning rate to 1% over the run (by epochs, or by the time budget
        when that ends sooner); "constant" keeps it.
    patience : int or None
        Stop after this many epochs without a better validation loss (None: never).
    max_minutes : float or None
        Time budget; the run stops after the batch that crosses it (None: no budget).
    seed : int
        Seeds the split, the batch order, the noise and the sampling: runs repeat exactly.
    val_fraction : float
        Share of the training data held out for validation, in (0, 1).
    precision : {"float32", "bfloat16"}
        "bfloat16" runs the training steps' layers under ``torch.autocast`` (weights, losses and
        validation stay float32): on a CPU with native bfloat16 (AVX-512 BF16) the photo denoiser
        trained 1.23x faster, the conv model no faster (``bench/trainer_throughput.py``); slower
        where bfloat16 is emulated. Models trained full-batch with L-BFGS (linear) always train
        in float32.

    Raises
    ------
    ValueError
        Naming the first setting that is out of range.
    """

    epochs: int = 20
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"
    patience: int | None = None
    max_minutes: float | None = None
    seed: int = 0
    val_fraction: float = 0.1
    precision: str = "float32"

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive finite number, got {self.lr}")
        if not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)):
            raise ValueError(f"weight_decay must be a finite number >= 0, got {self.weight_decay}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be 'float32' or 'bfloat16', got {self.precision!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be 'cosine' or 'constant', got {self.schedule!r}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be at least 1, got {self.patience}")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise ValueError(f"max_minutes must be positive, got {self.max_minutes}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The names of the settings, in order.

        Returns
        -------
        tuple of str
        """
        return tuple(f.name for f in fields(cls))

    def replace(self, **changes: Any) -> TrainingSettings:
        """A copy with ``changes`` applied (and checked).

        Parameters
        ----------
        **changes
            Setting names and values.

        Returns
        -------
        TrainingSettings
            ``self`` when there are no changes.

        Raises
        ------
        ValueError
            For a name that is not a setting, or a value out of range.
        """
        unknown = sorted(set(changes) - set(self.names()))
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}; valid: {list(self.names())}")
        return dataclasses.replace(self, **changes) if changes else self

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-able values.

        Returns
        -------
        dict
        """
        return dataclasses.asdict(self)
