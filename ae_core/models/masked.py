"""The masked autoencoder: missing values (NaN) are hidden from the input and left out of the
loss. It is AutoRec for ratings (``ae_core.apps.recommender``) and the mask-aware imputer
(``ae_core.apps.imputation``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ae_core.models.dense import DenseAE, DenseOptions
from ae_core.models.noise import random_uniform


@dataclass(frozen=True)
class MaskedOptions(DenseOptions):
    """Options of the masked autoencoder (AutoRec): linear output, squared error, the share hidden while training."""

    recon_loss: str = "mse"  # squared error on the observed entries only
    output: str = "linear"  # ratings and standardised features are not in [0, 1]
    hidden_dims: tuple[int, ...] = ()  # AutoRec: the code is the one hidden layer
    code_activation: str = "sigmoid"  # AutoRec's hidden activation
    hide_fraction: float = 0.0  # observed entries hidden from the input while training (learns to fill gaps)

    def validate(self) -> None:
        """Check the dense options and that ``hide_fraction`` lies in [0, 1).

        Raises
        ------
        ValueError
            Naming the first option out of range.
        """
        super().validate()
        if not 0.0 <= self.hide_fraction < 1.0:
            raise ValueError(f"hide_fraction must be in [0, 1), got {self.hide_fraction}")


class MaskedAE(DenseAE):
    """Missing values are NaN: the input sees them as 0 and the loss counts observed entries only.

    This is AutoRec (Sedhain et al. 2015) for ratings matrices, and a mask-aware autoencoder for
    imputation: with ``hide_fraction`` > 0 some observed entries are hidden from the input while
    training and must be predicted, which is exactly the imputation task.
    """

    Options = MaskedOptions
    description = "Data with missing values (NaN): loss on observed entries only (AutoRec; imputation)."

    def encode_distribution(self, x):
        """Encode with missing values (NaN) read as 0.

        Parameters
        ----------
        x : tensor
            Inputs, shape (N, D), NaN where a value is missing.

        Returns
        -------
        tuple
            ``(code, None)``: the model is deterministic.
        """
        return super().encode_distribution(torch.nan_to_num(x, nan=0.0))

    def corrupt(self, x, generator=None):
        """Hide a random ``hide_fraction`` of the entries (set them to NaN) for training.

        Parameters
        ----------
        x : tensor
            A batch, NaN where missing.
        generator : torch.Generator, optional
            For the random mask (on the CPU or the batch's device).

        Returns
        -------
        tensor
            ``x`` itself when ``hide_fraction`` is 0, else a copy with the hidden entries set to NaN.
        """
        if self.options.hide_fraction == 0:
            return x
        hide = random_uniform(x.shape, generator, x.device) < self.options.hide_fraction
        return x.masked_fill(hide, float("nan"))

    def loss(self, x, out, x_in=None):
        """Squared error over the observed (non-NaN) entries of ``x`` only.

        Parameters
        ----------
        x : tensor
            The target, NaN where missing.
        out : AEOutput
            What ``forward`` returned.
        x_in : tensor, optional
            Unused.

        Returns
        -------
        dict
            ``{"recon": r, "loss": r}``: the error summed over features and averaged over the batch.
        """
        observed = ~torch.isnan(x)
        error = torch.where(observed, out.recon - torch.nan_to_num(x, nan=0.0), torch.zeros_like(out.recon)) ** 2
        recon = error.flatten(1).sum(dim=1).mean()
        return {"recon": recon, "loss": recon}
