"""A checkpoint's ``config.json`` parsed into typed, checked values.

What a browser uploads is data: every field is checked for its type here, before anything reads
it, so a config with ``"created": 12345`` or ``"metrics": [1]`` is refused with one line instead of
breaking every page that lists it. The model's size is checked from these values (on PyTorch's
``meta`` device, which allocates nothing) before a real model is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from ae_core.data.base import parse_spec
from ae_core.models import MODELS, Autoencoder, build_model
from ae_core.system import limits

FORMAT = "latent-lab-checkpoint"
FORMAT_VERSION = 1
MAX_LIST_OPTION = 64  # entries of one list-valued model option (hidden_dims, channels)


@dataclass(frozen=True)
class ModelConfig:
    """What rebuilds the model: registry name, input shape, code size and the type's own options."""

    name: str
    input_shape: tuple[int, ...]
    latent_dim: int
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def denoising(self) -> bool:
        """Whether it was trained on corrupted inputs (a ``noise`` option other than "none")."""
        return (self.options.get("noise") or "none") != "none"

    def as_dict(self) -> dict[str, Any]:
        """The model's part of ``config.json``, as plain JSON values.

        Returns
        -------
        dict
            ``name``, ``input_shape`` (a list), ``latent_dim`` and a copy of ``options``.
        """
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "latent_dim": self.latent_dim,
            "options": dict(self.options),
        }


@dataclass(frozen=True)
class CheckpointConfig:
    """Every field of ``config.json``, typed. ``raw`` keeps the file's dict for the callers that
    read it as one (its checked fields are the ones here)."""

    model: ModelConfig
    dataset: str | None = None
    scaler: dict[str, Any] | None = None
    label_names: tuple[str, ...] | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    training: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    format_version: int = FORMAT_VERSION
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, raw: Any) -> CheckpointConfig:
        """Check every field's type; ``ValueError`` names the first bad one.

        Parameters
        ----------
        raw : any
            The decoded ``config.json``.

        Returns
        -------
        CheckpointConfig
            With ``raw`` kept as given.

        Raises
        ------
        ValueError
            If it is not a Latent Lab config, is from a newer format, or a field has the wrong type.
        """
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError("it is not a Latent Lab checkpoint config")
        version = raw.get("format_version", 0)
        if not _is_int(version):
            raise ValueError(f"format_version must be a whole number, got {version!r}")
        if version > FORMAT_VERSION:
            raise ValueError(f"it was written by a newer Latent Lab (format {version})")
        return cls(
            model=_model(raw.get("model")),
            dataset=_optional(raw, "dataset", str),
            scaler=_scaler(raw.get("scaler")),
            label_names=_label_names(raw.get("label_names")),
            metrics=_metrics(raw.get("metrics")),
            training=_training(raw.get("training")),
            extra=_optional(raw, "extra", dict) or {},
            created=_optional(raw, "created", str) or "",
            format_version=version,
            raw=raw,
        )

    @property
    def origin(self) -> str:
        """``"upload"`` for a model that came in as a zip from a browser, else ``"local"``."""
        return "upload" if self.extra.get("origin") == "upload" else "local"

    @property
    def one_class(self) -> bool:
        """Whether it was trained on some classes of its dataset only (``normal=`` in the dataset
        spec): an anomaly detector, for which the other classes are the anomalies."""
        return bool(self.dataset) and "normal" in parse_spec(self.dataset)[2]

    @property
    def history(self) -> list[dict[str, Any]]:
        """Its training curve: one record of losses per epoch (empty when it has none)."""
        return (self.training or {}).get("history") or []

    def status(self) -> str:
        """How its training ended, in words: "completed", "interrupted (epoch 3 of 20)", ...

        Returns
        -------
        str
            "unknown" when the config does not say.
        """
        training = self.training or {}
        stopped = training.get("stopped") or "unknown"
        if stopped in ("interrupted", "non_finite"):
            epoch, planned = training.get("epoch"), training.get("epochs")
            where = f"epoch {epoch} of {planned}" if planned else f"epoch {epoch}"
            return f"{'interrupted' if stopped == 'interrupted' else 'stopped: loss not finite'} ({where})"
        return str(stopped)


def parameter_count(model: ModelConfig) -> int:
    """The model's parameter count, from its settings alone (built on the ``meta`` device).

    Parameters
    ----------
    model : ModelConfig

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the settings are not valid.
    """
    with torch.device("meta"):
        return sum(
            p.numel()
            for p in build_model(model.name, model.input_shape, model.latent_dim, **model.options).parameters()
        )


def build_checked(model: ModelConfig) -> Autoencoder:
    """The model, once its parameter count is known to be within ``limits``.

    Parameters
    ----------
    model : ModelConfig

    Returns
    -------
    Autoencoder
        Untrained.

    Raises
    ------
    ValueError
        If the settings are not valid or the model has more parameters than the ``parameters`` limit.
    """
    limits.check("parameters", parameter_count(model), "this model has {amount}", unit="parameters")
    return build_model(model.name, model.input_shape, model.latent_dim, **model.options)


def _model(value: Any) -> ModelConfig:
    if not isinstance(value, dict):
        raise ValueError(f"'model' must be an object with the model's settings, got {type(value).__name__}")
    name = value.get("name")
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODELS)}")
    shape = value.get("input_shape")
    if (
        not isinstance(shape, list)
        or len(shape) not in (1, 3)
        or not all(_is_int(s) and 0 < s <= 1 << 20 for s in shape)
    ):
        raise ValueError(f"input_shape must be [C, H, W] or [D] of positive whole numbers, got {shape!r}")
    latent = value.get("latent_dim")
    if not _is_int(latent) or not 0 < latent <= 1 << 16:
        raise ValueError(f"latent_dim must be a whole number from 1 to 65536, got {latent!r}")
    options = value.get("options", {})
    if not isinstance(options, dict):
        raise ValueError(f"the model's options must be an object, got {type(options).__name__}")
    for key, option in options.items():
        if isinstance(option, list):
            if len(option) > MAX_LIST_OPTION or not all(_is_int(v) for v in option):
                raise ValueError(f"option {key!r} must be at most {MAX_LIST_OPTION} whole numbers")
        elif not isinstance(option, (str, int, float, bool)) or isinstance(option, float) and not math.isfinite(option):
            raise ValueError(f"option {key!r} has a value of type {type(option).__name__}; numbers and words only")
    return ModelConfig(name, tuple(shape), latent, options)


def _optional(raw: dict, key: str, kind: type):
    value = raw.get(key)
    if value is not None and not isinstance(value, kind):
        raise ValueError(f"{key!r} must be {_NAMES[kind]} or null, got {type(value).__name__}")
    return value


def _scaler(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("kind") not in ("minmax", "standard"):
        raise ValueError("'scaler' must be null or an object with kind 'minmax' or 'standard'")
    for key in ("offset", "scale"):
        numbers = value.get(key)
        if not isinstance(numbers, list) or not all(_is_number(v) for v in numbers):
            raise ValueError(f"the scaler's {key!r} must be a list of numbers")
    if len(value["offset"]) != len(value["scale"]):
        raise ValueError("the scaler's offset and scale differ in length")
    return value


def _label_names(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("'label_names' must be null or a list of words")
    return tuple(value)


def _metrics(value: Any) -> dict[str, float | None]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(v is None or _is_number(v) for v in value.values()):
        raise ValueError("'metrics' must be an object of numbers")
    return value


def _training(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"'training' must be null or an object, got {type(value).__name__}")
    for key in ("epoch", "best_epoch", "epochs"):
        if value.get(key) is not None and not _is_int(value[key]):
            raise ValueError(f"training {key!r} must be a whole number, got {value[key]!r}")
    if value.get("stopped") is not None and not isinstance(value["stopped"], str):
        raise ValueError("training 'stopped' must be a word")
    if not isinstance(value.get("history", []), list):
        raise ValueError("training 'history' must be a list")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_NAMES = {str: "a string", dict: "an object"}
