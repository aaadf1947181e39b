"""The semantic hashing autoencoder: a code of bits, for finding similar items by their binary
addresses (``ae_core.apps.code_space``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ae_core.models.dense import DenseAE, DenseOptions


@dataclass(frozen=True)
class HashingOptions(DenseOptions):
    """Options of the semantic hashing autoencoder: a sigmoid code and the noise added before it."""

    code_activation: str = "sigmoid"  # codes in (0, 1), read as bits at 0.5
    code_noise: float = 4.0  # std of Gaussian noise added before the code's sigmoid while training

    def validate(self) -> None:
        """Check the dense options, that the code is a sigmoid and ``code_noise`` is not negative.

        Raises
        ------
        ValueError
            Naming the first option out of range.
        """
        super().validate()
        if self.code_activation != "sigmoid":
            raise ValueError("a hashing autoencoder needs code_activation 'sigmoid' (its code units are read as bits)")
        if self.code_noise < 0:
            raise ValueError(f"code_noise must be >= 0, got {self.code_noise}")


class HashingAE(DenseAE):
    """Semantic hashing (Salakhutdinov & Hinton 2009): noise added before the code's sigmoid while
    training pushes every unit to 0 or 1, so the code reads as a binary address."""

    Options = HashingOptions
    description = (
        "Binary codes for semantic hashing: noise before the code's sigmoid forces bits (Salakhutdinov & Hinton)."
    )

    def encode_distribution(self, x):
        """The code in (0, 1); while training, Gaussian noise of std ``code_noise`` is added before the sigmoid.

        Parameters
        ----------
        x : tensor
            Inputs, shape (N, D).

        Returns
        -------
        tuple
            ``(code, None)``, the code of shape (N, latent_dim).
        """
        logits = self.encoder[:-1](x)
        if self.training and self.options.code_noise > 0:
            logits = logits + self.options.code_noise * torch.randn_like(logits)
        return torch.sigmoid(logits), None

    def bits(self, x) -> np.ndarray:
        """The binary code of each input (code units above 0.5).

        Parameters
        ----------
        x : array or tensor
            Inputs, as ``embed`` takes them.

        Returns
        -------
        np.ndarray
            Shape (N, latent_dim), dtype uint8, 0 or 1.
        """
        return (self.embed(x) > 0.5).astype(np.uint8)
