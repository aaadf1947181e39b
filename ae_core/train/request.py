"""A training run described by plain values: the one path from "dataset spec + model settings"
to a saved, evaluated checkpoint. The CLI, the app's background jobs and the zoo script use it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ae_core.checkpoints import ModelConfig, parameter_count, save_checkpoint, save_snapshot
from ae_core.data import Dataset, load_dataset
from ae_core.explore.projection import aligned_pca
from ae_core.models import Autoencoder, build_model
from ae_core.models.metrics import evaluate
from ae_core.system import limits
from ae_core.train.checkpointing import resume_from, save_best_to
from ae_core.train.kinds import MODEL_KIND, register_request
from ae_core.train.loop import BatchInfo, EpochInfo, fit
from ae_core.train.settings import TrainingSettings

PREVIEW_SAMPLES = 8  # reconstructions sent with every epoch
MAP_SAMPLES = 600  # codes in each latent-map snapshot


@register_request
@dataclass(frozen=True)
class TrainingRequest:
    """Everything that defines a run, as plain values (what a background job is sent and what a
    checkpoint records in ``extra.request``).

    Parameters
    ----------
    dataset : str
        A dataset spec (``digits``, ``mnist``, ``npz:PATH``...).
    model : str
        A registry name (``ae_core.models.MODELS``).
    latent_dim : int
        Code size.
    options : dict
        The model type's own options.
    settings : TrainingSettings
        Epochs, batch size, learning rate and the rest of how it is trained.
    map_every : int
        A latent-map snapshot every this many epochs (0: never).
    save_epochs : tuple of int
        Keep the weights of these epochs (the "20/30/40/50 epochs" exercise).
    """

    dataset: str
    model: str
    latent_dim: int
    options: dict[str, Any] = field(default_factory=dict)
    settings: TrainingSettings = field(default_factory=TrainingSettings)
    map_every: int = 2
    save_epochs: tuple[int, ...] = ()

    kind: ClassVar[str] = MODEL_KIND  # what the training queue calls a model's run (``kinds``)

    @property
    def epochs(self) -> int:
        """The epochs it trains for (``settings.epochs``)."""
        return self.settings.epochs

    def check(self) -> None:
        """``check_request``: everything verified before the run is queued."""
        check_request(self)

    def run(self, out: str | Path | None, **options) -> dict[str, Any]:
        """``run_training(self, out, **options)``: the run, in the queue's worker process."""
        return run_training(self, out, **options)

    def as_dict(self) -> dict[str, Any]:
        """The request as one flat JSON-able dict (the settings beside the other fields).

        Returns
        -------
        dict
            ``dataset``, ``model``, ``latent_dim``, ``options``, every training setting, ``map_every`` and
            ``save_epochs`` (a list).
        """
        return {
            "dataset": self.dataset,
            "model": self.model,
            "latent_dim": self.latent_dim,
            "options": dict(self.options),
            **self.settings.as_dict(),
            "map_every": self.map_every,
            "save_epochs": list(self.save_epochs),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingRequest:
        """Read what ``as_dict`` wrote, also the flat dicts of older runs (which lack some settings).

        Parameters
        ----------
        values : dict
            A flat dict as ``as_dict`` writes it; missing settings take their defaults.

        Returns
        -------
        TrainingRequest

        Raises
        ------
        ValueError
            For a key that is neither a field nor a setting, or a setting out of range.
        """
        own = {f.name for f in fields(cls)} - {"settings"}
        unknown = sorted(set(values) - own - set(TrainingSettings.names()))
        if unknown:
            raise ValueError(f"unknown training request field(s) {unknown}")
        settings = TrainingSettings().replace(**{k: v for k, v in values.items() if k in TrainingSettings.names()})
        request = {k: v for k, v in values.items() if k in own}
        return cls(**{**request, "save_epochs": tuple(values.get("save_epochs", ()))}, settings=settings)


def check_request(request: TrainingRequest, dataset: Dataset | None = None) -> Autoencoder:
    """Build the model the request describes, checking everything before any training.

    Parameters
    ----------
    request : TrainingRequest
    dataset : Dataset, optional
        The request's dataset if already loaded (else it is loaded).

    Returns
    -------
    Autoencoder
        The untrained model, seeded by ``request.settings.seed``.

    Raises
    ------
    ValueError
        Naming the bad setting: ``map_every``, ``save_epochs`` beyond the epochs, a model
        option, a loss the data cannot take, or a model over the parameter limit.
    """
    if request.map_every < 0:
        raise ValueError(f"map_every must be 0 or more, got {request.map_every}")
    bad = [e for e in request.save_epochs if not 1 <= e <= request.settings.epochs]
    if bad:
        raise ValueError(f"save_epochs must lie in 1..{request.settings.epochs}, got {bad}")
    dataset = dataset or load_dataset(request.dataset)
    needed = data_options(dataset)
    options = {**needed, **request.options}
    if needed and options.get("recon_loss") == "bce":
        raise ValueError(
            f"recon_loss 'bce' needs data in [0, 1], but {dataset.spec!r} is standardised (z-scores): "
            "use recon_loss 'mse', or add scale=minmax to the dataset spec"
        )
    model = ModelConfig(request.model, dataset.shape, request.latent_dim, options)
    limits.check("parameters", parameter_count(model), "this model would have {amount}", unit="parameters")
    return build_model(request.model, dataset.shape, request.latent_dim, seed=request.settings.seed, **options)


def data_options(dataset: Dataset) -> dict[str, str]:
    """Model options the data itself calls for.

    Standardised tables are not in [0, 1], so they are reconstructed by an unbounded output
    scored by squared error (BCE would be meaningless).

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    dict of str to str
        ``{"recon_loss": "mse", "output": "linear"}`` for standardised data, else empty.
    """
    if dataset.scaler is not None and dataset.scaler.get("kind") != "minmax":
        return {"recon_loss": "mse", "output": "linear"}
    return {}


def run_training(
    request: TrainingRequest,
    out: str | Path | None,
    *,
    threads: int | None = None,
    device: str = "auto",
    stop_event: threading.Event | None = None,
    on_batch: Callable[[BatchInfo], None] | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    resume: str | Path | None = None,
) -> dict[str, Any]:
    """Train, keep the best epoch, evaluate on the test split and save to ``out``.

    The best epoch so far is saved as it happens, so a stop, a crash or a restart of the app
    never loses what was trained.

    Parameters
    ----------
    request : TrainingRequest
        What to train, on what, and how.
    out : path or None
        The checkpoint folder; None saves nothing (the other ranks of a distributed run).
    threads, device, stop_event, on_batch
        Passed to ``fit``.
    on_epoch : callable, optional
        Receives a dict: the epoch's numbers, ``preview`` (inputs and reconstructions of a few
        fixed test samples, float arrays) and, every ``request.map_every`` epochs, ``map`` (2-D
        PCA of the codes of fixed test samples, rotated to line up with the previous snapshot,
        and labels).
    resume : path, optional
        A checkpoint of an earlier run to continue.

    Returns
    -------
    dict
        A JSON-able summary: ``out``, ``model``, ``dataset``, ``latent_dim``, ``epochs_run``,
        ``best_epoch``, ``stopped``, ``seconds`` and the ``test`` metrics.
    """
    dataset = load_dataset(request.dataset)
    model = check_request(request, dataset)
    meta = {
        "dataset": dataset.spec,
        "scaler": dataset.scaler,
        "label_names": dataset.label_names,
        "extra": {"request": request.as_dict()},
    }
    result = fit(
        model,
        dataset.x_train,
        request.settings,
        device=device,
        threads=threads,
        stop_event=stop_event,
        on_batch=on_batch,
        on_epoch=_epoch_hook(request, model, dataset, out, on_epoch),
        on_improve=None if out is None else save_best_to(out, **meta),
        resume=None if resume is None else resume_from(resume),
    )
    model.cpu()
    metrics = evaluate(model, dataset.x_test)
    if out is not None:  # None on the non-main ranks of a distributed run
        save_checkpoint(model, out, metrics=metrics, training=result.as_dict(), **meta)
    return {
        "out": str(out),
        "model": request.model,
        "dataset": dataset.spec,
        "latent_dim": request.latent_dim,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "stopped": result.stopped,
        "seconds": round(result.seconds, 2),
        "test": metrics,
    }


def _epoch_hook(
    request: TrainingRequest, model: Autoencoder, dataset: Dataset, out, on_epoch
) -> Callable[[EpochInfo], None]:
    """``fit``'s ``on_epoch``: keep the asked-for snapshots, and send ``on_epoch`` the epoch's
    numbers with a preview and, now and then, a latent map of fixed test samples."""
    preview_x = dataset.x_test[: min(PREVIEW_SAMPLES, len(dataset.x_test))]
    rows = np.random.default_rng(0).permutation(len(dataset.x_test))[:MAP_SAMPLES]
    map_x = dataset.x_test[rows]
    map_y = None if dataset.y_test is None else dataset.y_test[rows]
    previous_map: list[np.ndarray | None] = [None]

    def hook(info: EpochInfo) -> None:
        if out is not None and info.epoch in request.save_epochs:
            save_snapshot(model, out, info.epoch)
        if on_epoch is None:
            return
        event = {**vars(info), "preview": np.stack([preview_x, model.reconstruct(preview_x)])}
        if request.map_every and (info.epoch % request.map_every == 0 or info.epoch in (1, info.epochs)):
            points = aligned_pca(np.nan_to_num(model.embed(map_x)), previous_map[0])
            previous_map[0] = points
            event["map"] = {"points": points, "labels": map_y}
        on_epoch(event)

    return hook
