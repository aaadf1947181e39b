"""The model registry: one name per autoencoder of the course, all on one base class."""

from __future__ import annotations

from typing import Any

import torch

from ae_core.models.base import AEOutput, Autoencoder, gaussian_kl, reconstruction_loss
from ae_core.models.conv import ConvAE, ConvVAE
from ae_core.models.denoiser import PhotoDenoiser
from ae_core.models.dense import VAE, ContractiveAE, DenoisingAE, DenseAE, LinearAE, SparseAE, VanillaAE
from ae_core.models.hashing import HashingAE
from ae_core.models.interpolation import interpolate
from ae_core.models.masked import MaskedAE
from ae_core.models.options import AEOptions, make_options

MODELS: dict[str, type[Autoencoder]] = {
    "linear": LinearAE,
    "vanilla": VanillaAE,
    "deep": DenseAE,
    "conv": ConvAE,
    "sparse": SparseAE,
    "denoising": DenoisingAE,
    "contractive": ContractiveAE,
    "vae": VAE,
    "conv_vae": ConvVAE,
    "photo_denoiser": PhotoDenoiser,
    "masked": MaskedAE,
    "hashing": HashingAE,
}
for _name, _cls in MODELS.items():
    _cls.registry_name = _name


def build_model(name: str, input_shape, latent_dim: int, seed: int | None = None, **options: Any) -> Autoencoder:
    """Build a registered model.

    Parameters
    ----------
    name : str
        A key of ``MODELS``.
    input_shape : sequence of int
        ``(C, H, W)`` for images (C = 1 or 3) or ``(D,)`` for tabular vectors.
    latent_dim : int
        Size of the code; smaller or larger than the input (over-complete) are both fine.
    seed : int, optional
        Seeds the weight initialisation (``torch.manual_seed``).
    **options
        Fields of the model's ``Options`` dataclass (e.g. ``beta=4.0``).

    Returns
    -------
    Autoencoder
        Untrained, in training mode.

    Raises
    ------
    ValueError
        For an unknown name, an invalid shape, a ``latent_dim`` that is not a positive integer, or an
        unknown or out-of-range option.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODELS)}")
    shape = validate_input_shape(input_shape)
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")
    cls = MODELS[name]
    opts = make_options(cls.Options, options, name)
    if seed is not None:
        torch.manual_seed(seed)
    return cls(shape, latent_dim, opts)


def validate_input_shape(input_shape) -> tuple[int, ...]:
    """Check and normalise a model's input shape.

    Parameters
    ----------
    input_shape : sequence of int
        (C, H, W) for images, with 1 or 3 channels, or (D,) for vectors.

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        If it is not a sequence of 1 or 3 positive integers, or an image has other than 1 or 3 channels.
    """
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (C, H, W) or (D,), got {input_shape!r}") from None
    if len(shape) not in (1, 3) or min(shape) < 1:
        raise ValueError(f"input_shape must be (C, H, W) or (D,) with positive sizes, got {shape}")
    if len(shape) == 3 and shape[0] not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels, got {shape[0]} in shape {shape}")
    return shape


def model_from_config(config: dict[str, Any]) -> Autoencoder:
    """Rebuild a model (untrained) from the ``config`` property of another.

    Parameters
    ----------
    config : dict
        ``name``, ``input_shape``, ``latent_dim`` and optionally ``options``.

    Returns
    -------
    Autoencoder
        With fresh random weights.

    Raises
    ------
    ValueError
        If the name, shape, code size or an option is not valid.
    """
    return build_model(config["name"], config["input_shape"], int(config["latent_dim"]), **config.get("options", {}))


__all__ = [
    "MODELS",
    "AEOptions",
    "AEOutput",
    "Autoencoder",
    "build_model",
    "gaussian_kl",
    "interpolate",
    "model_from_config",
    "reconstruction_loss",
    "validate_input_shape",
]
