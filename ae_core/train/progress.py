"""What a training run reports: one batch, one epoch, and the whole run (the ``training``
section a checkpoint stores and a resumed run reads back)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BatchInfo:
    """What ``fit``'s ``on_batch`` callback receives after every step.

    ``loss`` is read from the step's loss tensor when asked for: on an accelerator that waits for
    the step to finish, so a progress display that reads it a few times a second does not make
    every step wait (``fit`` itself never does)."""

    epoch: int  # 1-based
    batch: int  # 1-based, within the epoch
    batches: int  # batches per epoch
    step_loss: Any  # the step's loss: a scalar tensor (or a float)
    elapsed: float  # seconds since fit started
    eta: float  # estimated seconds left

    @property
    def loss(self) -> float:
        """The step's loss."""
        return float(self.step_loss)


@dataclass(frozen=True)
class EpochInfo:
    """What ``fit``'s ``on_epoch`` callback receives after every epoch's validation."""

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
    """How a run went: one history row per epoch, the best epoch and why it stopped."""

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
        """What a checkpoint's ``training`` section stores (and ``resume`` reads back).

        Returns
        -------
        dict
            ``epoch``, ``epochs``, ``best_epoch``, ``best_val_loss``, ``history``, ``stopped``
            and ``seconds``, all JSON-able.
        """
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
        """The state of a saved run, to continue it.

        Parameters
        ----------
        training : dict
            A checkpoint's ``training`` section (as ``as_dict`` wrote it).

        Returns
        -------
        tuple of (int, FitResult)
            The epochs already run, and the result so far (history and best epoch).
        """
        result = cls(
            history=list(training.get("history", [])),
            best_epoch=int(training.get("best_epoch", 0)),
            best_val_loss=float(training.get("best_val_loss", math.inf)),
        )
        return int(training.get("epoch", 0)), result
