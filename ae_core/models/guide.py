"""One line of explanation, and the allowed values where they are a fixed set, for every model
option -- what the train page shows next to each control."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from ae_core.models.conv import UPSAMPLING
from ae_core.models.dense import ACTIVATIONS
from ae_core.models.noise import NOISE_KINDS
from ae_core.models.options import OUTPUTS, RECON_LOSSES

OPTION_GUIDE: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "recon_loss": (
        "How a reconstruction is scored: BCE for data in [0, 1], MSE (squared error) otherwise.",
        RECON_LOSSES,
    ),
    "output": ("Decoder output: sigmoid keeps values in [0, 1]; linear leaves them unbounded (needs MSE).", OUTPUTS),
    "noise": (
        "Corruption applied to inputs while training; the target stays clean (denoising).",
        ("none", *NOISE_KINDS),
    ),
    "noise_level": ("Strength of that corruption: σ, fraction masked, or amount, depending on the kind.", None),
    "hidden_dims": ("Widths of the hidden layers between input and code, e.g. `256,128` (empty: none).", None),
    "channels": ("Feature maps of each strided convolution, e.g. 32,64,128: one halving of the size per entry.", None),
    "activation": ("Non-linearity of the hidden layers.", tuple(ACTIVATIONS)),
    "code_activation": ("Non-linearity on the code itself; sigmoid keeps it in (0, 1).", tuple(ACTIVATIONS)),
    "upsample": ("How the decoder grows images: transposed convolutions, or resize then convolve.", UPSAMPLING),
    "sparsity": ("Sparsity penalty: KL to a target firing rate (Ng's notes) or the L1 norm of the code.", ("kl", "l1")),
    "sparsity_target": ("Wanted mean activation ρ of each code unit (KL only); small means sparse.", None),
    "sparsity_weight": ("Weight of the sparsity term in the loss.", None),
    "contractive_weight": ("λ: weight of the encoder Jacobian's squared Frobenius norm.", None),
    "hide_fraction": ("Share of the known values hidden from the input while training, to learn filling gaps.", None),
    "code_noise": ("Noise added before the code's sigmoid while training; large values force binary codes.", None),
    "depth": ("Convolution layers in the denoiser's stack: deeper sees more context but runs slower.", None),
    "camera_noise": (
        "Share of training photos given synthetic camera noise (signal-dependent, demosaiced, JPEG) instead of "
        "Gaussian noise, so the denoiser also learns what real cameras produce.",
        None,
    ),
    "beta": ("Weight of the KL term; β > 1 trades reconstruction for a more disentangled code (β-VAE).", None),
}


def option_fields(model_class) -> list[dict[str, Any]]:
    """The options of a model class as (name, default, help, choices) records, for forms.

    Parameters
    ----------
    model_class : type
        An ``Autoencoder`` subclass.

    Returns
    -------
    list of dict
        One per field of its ``Options``, in order: ``name``, ``default``, ``help`` (from ``OPTION_GUIDE``,
        "" when it has none) and ``choices`` (None when free).
    """
    records = []
    for f in fields(model_class.Options):
        text, choices = OPTION_GUIDE.get(f.name, ("", None))
        records.append({"name": f.name, "default": f.default, "help": text, "choices": choices})
    return records
