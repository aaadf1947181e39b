"""The one base class every autoencoder in the registry derives from.

Subclasses build ``self.encoder`` (x -> code, or ``2 * latent_dim`` numbers for variational
models) and ``self.decoder`` (z -> logits shaped like the input). Everything else -- the output
object, reconstruction losses, the KL term, input corruption and batched inference -- is
written here once (options in ``options``, paths between codes in ``interpolation``).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ae_core.models.noise import add_noise
from ae_core.models.options import AEOptions, jsonable


@dataclass(frozen=True)
class AEOutput:
    """What ``forward`` returns. ``mu``/``logvar`` are set for variational models only."""

    recon: torch.Tensor  # x_hat in data space
    logits: torch.Tensor  # decoder output before the output activation
    z: torch.Tensor  # the code that was decoded (a sample for VAEs while training)
    mu: torch.Tensor | None = None
    logvar: torch.Tensor | None = None


class Autoencoder(nn.Module):
    """Base class: ``encode``, ``decode``, ``forward`` and ``loss`` for every model.

    Parameters
    ----------
    input_shape : tuple of int
        The shape of one sample: (C, H, W) or (D,).
    latent_dim : int
        The code size (channels of the feature map for models with ``spatial_code``).
    options : AEOptions
        The model type's checked options (an instance of its ``Options``).
    """

    Options: ClassVar[type[AEOptions]] = AEOptions
    variational: ClassVar[bool] = False
    penalty_needs_grad: ClassVar[bool] = False  # the penalty uses autograd (so validation needs it too)
    spatial_code: ClassVar[bool] = False  # the code is a feature map (N, latent_dim, h, w), not a vector
    optimizer: ClassVar[str] = "adamw"  # how ``fit`` trains it: "adamw" on minibatches or "lbfgs" full-batch
    holds_out_validation: ClassVar[bool] = True  # False: fit validates on the training data itself
    description: ClassVar[str] = ""
    encoder: nn.Module
    decoder: nn.Module

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: AEOptions):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = int(latent_dim)
        self.options = options

    # -- the four methods of the model surface -------------------------------------------------
    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return ``(mu, logvar)``; ``logvar`` is None for deterministic models.

        Parameters
        ----------
        x : tensor
            A batch, shape (N, *input_shape).

        Returns
        -------
        tuple
            ``mu`` of shape (N, latent_dim) and ``logvar`` of the same shape, clamped to [-20, 10], or None.
        """
        h = self.encoder(x)
        if self.variational:
            mu, logvar = h.chunk(2, dim=1)
            return mu, logvar.clamp(-20.0, 10.0)
        return h, None

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code of ``x`` (the posterior mean for variational models).

        Parameters
        ----------
        x : tensor
            A batch, shape (N, *input_shape).

        Returns
        -------
        tensor
            Shape (N, latent_dim) (a feature map for models with ``spatial_code``).
        """
        return self.encode_distribution(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decode codes into data space.

        Parameters
        ----------
        z : tensor
            Codes, shape (N, latent_dim).

        Returns
        -------
        tensor
            Shape (N, *input_shape), after the output activation (sigmoid or none).
        """
        return self._activate(self.decoder(z))

    def forward(self, x: torch.Tensor) -> AEOutput:
        """Encode, sample the code (variational models, training mode only) and decode.

        Parameters
        ----------
        x : tensor
            A batch, shape (N, *input_shape).

        Returns
        -------
        AEOutput
            The reconstruction, the decoder's raw output (logits), the code ``z`` used, and ``mu``/``logvar``
            (None for deterministic models).
        """
        mu, logvar = self.encode_distribution(x)
        z = mu
        if logvar is not None and self.training:
            # Reparameterization trick (Kingma & Welling 2014, eq. 10).
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logits = self.decoder(z)
        return AEOutput(self._activate(logits), logits, z, mu if logvar is not None else None, logvar)

    def loss(self, x: torch.Tensor, out: AEOutput, x_in: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Named loss parts (summed over features, averaged over the batch) and their total.

        Parameters
        ----------
        x : tensor
            The clean input, the reconstruction's target.
        out : AEOutput
            What ``forward`` returned.
        x_in : tensor, optional
            The (possibly corrupted) input the model saw; penalties that depend on the
            encoder's input (contractive) use it. Default ``x``.

        Returns
        -------
        dict of str to tensor
            ``recon``, ``kl`` (variational models), each penalty, and ``loss``, their weighted sum.
        """
        parts = {"recon": reconstruction_loss(out.logits, x, self.options.recon_loss, self.options.output).mean()}
        if out.mu is not None and out.logvar is not None:
            parts["kl"] = gaussian_kl(out.mu, out.logvar).sum(dim=1).mean()
        parts.update(self.penalties(x if x_in is None else x_in, out))
        parts["loss"] = parts["recon"] + sum(
            self.weighted(name, value) for name, value in parts.items() if name != "recon"
        )
        return parts

    # -- hooks for variants ---------------------------------------------------------------------
    def prepare(self, x_train: torch.Tensor) -> None:
        """A data-dependent initialisation before training starts (none by default).

        Parameters
        ----------
        x_train : tensor
            All the training data.
        """

    def penalties(self, x_in: torch.Tensor, out: AEOutput) -> dict[str, torch.Tensor]:
        """Extra loss terms (already weighted), e.g. sparsity or contraction.

        Parameters
        ----------
        x_in : tensor
            The (possibly corrupted) input the model saw.
        out : AEOutput
            What ``forward`` returned for it.

        Returns
        -------
        dict
            Name to scalar tensor; empty by default.
        """
        return {}

    def weighted(self, name: str, value: torch.Tensor) -> torch.Tensor:
        """The weight of a named part in the total; the KL term is scaled by beta.

        Parameters
        ----------
        name : str
            The loss part's name ("recon", "kl", ...).
        value : tensor
            Its unweighted value.

        Returns
        -------
        tensor
            ``value * beta`` for "kl" (beta defaults to 1), else ``value``.
        """
        return value * getattr(self.options, "beta", 1.0) if name == "kl" else value

    def corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The training input: ``x`` with the configured noise (denoising), else ``x`` itself.

        Parameters
        ----------
        x : tensor
            A clean batch.
        generator : torch.Generator, optional
            For the noise.

        Returns
        -------
        tensor
        """
        if self.options.noise == "none" or self.options.noise_level == 0:
            return x
        return add_noise(x, self.options.noise, self.options.noise_level, generator=generator)

    def training_loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """One training objective for every model: corrupt, reconstruct, compare to the clean x.

        Parameters
        ----------
        x : tensor
            A clean batch.
        generator : torch.Generator, optional
            For the corruption.

        Returns
        -------
        dict
            Named loss parts and ``"loss"``, their total, as ``loss`` returns them.
        """
        x_in = self.corrupt(x, generator)
        return self.loss(x, self(x_in), x_in)

    def validation_loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """What the best epoch is chosen by: reconstructing clean inputs (no noise, no sampling).

        Parameters
        ----------
        x : tensor
            A clean batch.
        generator : torch.Generator, optional
            Unused here; subclasses that add seeded noise use it.

        Returns
        -------
        dict
            Named loss parts and ``"loss"``.
        """
        return self.loss(x, self(x), x)

    # -- shared conveniences --------------------------------------------------------------------
    def _activate(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.options.output == "sigmoid" else logits

    @property
    def config(self) -> dict[str, Any]:
        """What is needed to rebuild the model: registry name, input shape, code size, options."""
        return {
            "name": self.registry_name,
            "input_shape": list(self.input_shape),
            "latent_dim": self.latent_dim,
            "options": jsonable(dataclasses.asdict(self.options)),
        }

    registry_name: ClassVar[str] = ""

    @torch.no_grad()
    def embed(self, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """Codes of many inputs, in batches (the posterior mean for variational models).

        Parameters
        ----------
        x : array or tensor
            Inputs shaped ``(N, *input_shape)``.
        batch_size : int
            Inputs per forward pass.

        Returns
        -------
        numpy.ndarray
            float32 codes, one row per input.
        """
        return self._batched(x, lambda model, b: model.encode(b), batch_size)

    @torch.no_grad()
    def reconstruct(self, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """Reconstructions of many inputs: codes decoded, no noise, no sampling.

        Parameters
        ----------
        x : array or tensor
            Inputs shaped ``(N, *input_shape)``.
        batch_size : int
            Inputs per forward pass.

        Returns
        -------
        numpy.ndarray
            float32 reconstructions shaped like ``x``.
        """
        return self._batched(x, lambda model, b: model.decode(model.encode(b)), batch_size)

    @torch.no_grad()
    def decode_numpy(self, z: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """Decode many codes.

        Parameters
        ----------
        z : array or tensor
            Codes, one row per sample.
        batch_size : int
            Codes per forward pass.

        Returns
        -------
        numpy.ndarray
            float32 images or vectors shaped ``(N, *input_shape)``.
        """
        return self._batched(z, lambda model, b: model.decode(b), batch_size)

    def for_inference(self) -> Autoencoder:
        """Prepare the model, once, to be shared: eval mode and, on a CPU for images,
        channels-last weights. The batched helpers never change a model themselves, so one
        prepared at load (``ui.state``, ``checkpoints``) is the same for every thread using it.

        Returns
        -------
        Autoencoder
            ``self``.
        """
        self.eval()
        if self._channels_last_helps():
            self.to(memory_format=torch.channels_last)
        return self

    def _channels_last_helps(self) -> bool:
        # oneDNN convolutions run about a fifth faster on channels-last tensors on CPUs.
        return len(self.input_shape) == 3 and next(self.parameters()).device.type == "cpu"

    def _batched(self, x, fn, batch_size: int) -> np.ndarray:
        """``fn(model, chunk)`` over ``x`` in chunks, in eval mode, never changing ``self``: its mode,
        weights and memory format stay as they are, since other threads may be using it. A model
        still in training mode is run through a prepared copy; inputs follow the weights' format."""
        model = self if not self.training else copy.deepcopy(self).for_inference()
        device = next(model.parameters()).device
        x = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not torch.is_tensor(x) else x.float()
        fast = model._channels_last_helps() and all(
            p.dim() != 4 or p.is_contiguous(memory_format=torch.channels_last) for p in model.parameters()
        )

        def run(chunk: torch.Tensor) -> torch.Tensor:
            chunk = chunk.to(device)
            if fast and chunk.dim() == 4:
                chunk = chunk.contiguous(memory_format=torch.channels_last)
            return fn(model, chunk).cpu().contiguous()

        chunks = [run(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        return torch.cat(chunks).numpy() if chunks else np.zeros((0,), np.float32)


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor, kind: str, output: str = "sigmoid") -> torch.Tensor:
    """Per-sample reconstruction loss summed over features.

    Parameters
    ----------
    logits : tensor
        The decoder's output before its activation.
    x : tensor
        The target.
    kind : {"bce", "mse"}
        Binary cross-entropy (computed from the logits) or squared error.
    output : {"sigmoid", "linear"}
        The decoder's output activation, applied before the squared error.

    Returns
    -------
    tensor
        One loss per sample.
    """
    if kind == "bce":
        per_element = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    else:
        x_hat = torch.sigmoid(logits) if output == "sigmoid" else logits
        per_element = (x_hat - x).pow(2)
    return per_element.flatten(1).sum(dim=1)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per code dimension, shaped like ``mu``.

    Sum over dimensions for a sample's KL, average over samples for how much a dimension is used.

    Parameters
    ----------
    mu : tensor
        Posterior means, shape (N, latent_dim).
    logvar : tensor
        Posterior log-variances, same shape.

    Returns
    -------
    tensor
        Same shape as ``mu``, in nats.
    """
    # Analytic for a diagonal Gaussian against the standard normal (Kingma & Welling 2014, appendix B).
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
