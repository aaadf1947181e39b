"""Fully connected autoencoders: linear (= PCA), vanilla, deep, and the variants that differ
from them only by a penalty or an input corruption (sparse, contractive, denoising) or by a
variational code (vae)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ae_core.models.base import Autoencoder
from ae_core.models.options import AEOptions

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
}


def activation(name: str) -> nn.Module:
    """A new activation layer from its name.

    Parameters
    ----------
    name : str
        One of the keys of ``ACTIVATIONS`` ("relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", "linear").

    Returns
    -------
    nn.Module
        A fresh instance (``nn.Identity`` for "linear").

    Raises
    ------
    ValueError
        If ``name`` is not a known activation.
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


@dataclass(frozen=True)
class DenseOptions(AEOptions):
    """Options of the fully connected autoencoders: hidden widths and activations."""

    hidden_dims: tuple[int, ...] = (256, 128)  # encoder widths from input to code; the decoder mirrors them
    activation: str = "relu"  # activation of the hidden layers
    code_activation: str = "linear"  # activation of the code layer itself

    def validate(self) -> None:
        """Check the shared options, that every hidden width is positive and that both activations exist.

        Raises
        ------
        ValueError
            Naming the first option out of range.
        """
        super().validate()
        if any(d <= 0 for d in self.hidden_dims):
            raise ValueError(f"hidden_dims must be positive, got {list(self.hidden_dims)}")
        activation(self.activation), activation(self.code_activation)


class DenseAE(Autoencoder):
    """Deep (stacked) fully connected autoencoder; with no hidden layers it is the vanilla one."""

    Options = DenseOptions
    description = "Stacked fully connected encoder and mirrored decoder; layer widths configurable."

    def __init__(self, input_shape, latent_dim, options):
        super().__init__(input_shape, latent_dim, options)
        n_in = math.prod(self.input_shape)
        hidden = list(options.hidden_dims)
        code_width = latent_dim * (2 if self.variational else 1)
        layers: list[nn.Module] = [nn.Flatten()]
        for d_in, d_out in zip([n_in, *hidden], hidden):
            layers += [nn.Linear(d_in, d_out), activation(options.activation)]
        layers.append(nn.Linear(hidden[-1] if hidden else n_in, code_width))
        if not self.variational:
            layers.append(activation(options.code_activation))
        self.encoder = nn.Sequential(*layers)
        back = [latent_dim, *reversed(hidden)]
        layers = []
        for d_in, d_out in zip(back, back[1:]):
            layers += [nn.Linear(d_in, d_out), activation(options.activation)]
        layers += [nn.Linear(back[-1], n_in), nn.Unflatten(1, self.input_shape)]
        self.decoder = nn.Sequential(*layers)


@dataclass(frozen=True)
class LinearOptions(AEOptions):
    """Options of the linear autoencoder: squared error and a linear output, as in PCA."""

    recon_loss: str = "mse"  # PCA minimises squared error
    output: str = "linear"  # no squashing: the decoder is an affine map, as in PCA


class LinearAE(DenseAE):
    """x_hat = W' (W x + b) + b': at its optimum it spans the principal subspace (Baldi & Hornik 1989).

    That loss has no spurious minima but is ill-conditioned where eigenvalues lie close
    together: minibatch Adam is still tens of degrees off PCA's subspace after hundreds of
    epochs. So it trains full-batch with L-BFGS from centred biases, on all the data it is given
    (a held-out tenth alone turns PCA's subspace by degrees); on digits, 1,000 iterations (20
    epochs) reach PCA's error and a subspace within a degree.
    """

    Options = LinearOptions
    optimizer = "lbfgs"
    holds_out_validation = False
    description = "Linear encoder and decoder trained with squared error: learns PCA's subspace."

    def __init__(self, input_shape, latent_dim, options):
        dense = DenseOptions(
            recon_loss=options.recon_loss,
            output=options.output,
            noise=options.noise,
            noise_level=options.noise_level,
            hidden_dims=(),
            code_activation="linear",
        )
        super().__init__(input_shape, latent_dim, dense)
        self.options = options

    @torch.no_grad()
    def prepare(self, x_train: torch.Tensor) -> None:
        """Centre: the decoder's bias starts at the data mean and the encoder maps the mean to 0.

        Parameters
        ----------
        x_train : tensor of shape (N, *input_shape)
            All the training data.
        """
        encoder, decoder = self.encoder[1], self.decoder[0]
        mean = x_train.flatten(1).mean(dim=0).to(decoder.bias)
        decoder.bias.copy_(mean)
        encoder.bias.copy_(-encoder.weight @ mean)


@dataclass(frozen=True)
class VanillaOptions(DenseOptions):
    """Options of the one-hidden-layer autoencoder: no hidden layers besides a sigmoid code."""

    hidden_dims: tuple[int, ...] = ()  # the code is the one hidden layer: h = f(W x + b)
    code_activation: str = "sigmoid"  # f in h = f(W x + b)


class VanillaAE(DenseAE):
    """One hidden layer ``h = f(W x + b)`` decoded by ``x_hat = g(W' h + b')``; the code is that layer."""

    Options = VanillaOptions
    description = "One hidden layer h = f(Wx + b), x_hat = g(W'h + b'); the code is that layer."


@dataclass(frozen=True)
class SparseOptions(VanillaOptions):
    """Options of the sparse autoencoder: penalty kind (KL or L1), target rate and weight."""

    sparsity: str = "kl"  # "kl": KL(rho || rho_hat) per unit (Ng's notes); "l1": L1 norm of the code
    sparsity_target: float = 0.05  # rho, the wanted mean activation of each code unit (kl only)
    sparsity_weight: float = 0.5  # weight of the sparsity term in the loss

    def validate(self) -> None:
        """Check the vanilla options and the sparsity penalty's settings.

        Raises
        ------
        ValueError
            If ``sparsity`` is not "kl" or "l1", ``sparsity_target`` is outside (0, 1), ``sparsity_weight`` is
            negative, or ``sparsity`` is "kl" without a sigmoid code.
        """
        super().validate()
        if self.sparsity not in ("kl", "l1"):
            raise ValueError(f"sparsity must be 'kl' or 'l1', got {self.sparsity!r}")
        if not 0.0 < self.sparsity_target < 1.0:
            raise ValueError(f"sparsity_target must be in (0, 1), got {self.sparsity_target}")
        if self.sparsity_weight < 0:
            raise ValueError(f"sparsity_weight must be >= 0, got {self.sparsity_weight}")
        if self.sparsity == "kl" and self.code_activation != "sigmoid":
            raise ValueError("sparsity 'kl' needs code_activation 'sigmoid' (activations must lie in (0, 1))")


class SparseAE(VanillaAE):
    """Vanilla autoencoder with a sparsity penalty on the code: L1, or KL to a target mean activation."""

    Options = SparseOptions
    description = "Vanilla autoencoder with a sparsity penalty on the code: L1, or KL to a target rate."

    def penalties(self, x_in, out):
        """The sparsity penalty of one batch.

        Parameters
        ----------
        x_in : tensor
            The (possibly corrupted) input the model saw; unused.
        out : AEOutput
            What ``forward`` returned; its code ``out.z`` has shape (N, latent_dim).

        Returns
        -------
        dict
            ``{"sparsity": weight * value}``, a scalar tensor: for "l1" the batch mean of each code's L1 norm,
            for "kl" the sum over code units of ``KL(rho || rho_hat)``, ``rho_hat`` being the unit's batch mean.
        """
        opts = self.options
        if opts.sparsity == "l1":
            value = out.z.abs().sum(dim=1).mean()
        else:
            rho = torch.tensor(opts.sparsity_target, device=out.z.device)
            rho_hat = out.z.mean(dim=0).clamp(1e-6, 1 - 1e-6)
            value = torch.sum(rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat)))
        return {"sparsity": opts.sparsity_weight * value}


@dataclass(frozen=True)
class DenoisingOptions(DenseOptions):
    """Options of the denoising autoencoder: one hidden layer of 256 and Gaussian noise of 0.3 by default."""

    hidden_dims: tuple[int, ...] = (256,)
    noise: str = "gaussian"  # corruption applied to the input while training
    noise_level: float = 0.3

    def validate(self) -> None:
        """Check the dense options and that some noise is set.

        Raises
        ------
        ValueError
            If ``noise`` is "none", or another option is out of range.
        """
        super().validate()
        if self.noise == "none":
            raise ValueError("a denoising autoencoder needs a noise kind other than 'none'")


class DenoisingAE(DenseAE):
    """Sees corrupted inputs while training and is scored against the clean ones (Vincent et al. 2008)."""

    Options = DenoisingOptions
    description = "Sees corrupted inputs while training, is scored against the clean ones (Vincent et al. 2008)."


@dataclass(frozen=True)
class ContractiveOptions(VanillaOptions):
    """Options of the contractive autoencoder: the weight of the Jacobian penalty."""

    contractive_weight: float = 0.1  # lambda in lambda * ||J_f(x)||_F^2

    def validate(self) -> None:
        """Check the vanilla options and that ``contractive_weight`` is not negative.

        Raises
        ------
        ValueError
            Naming the first option out of range.
        """
        super().validate()
        if self.contractive_weight < 0:
            raise ValueError(f"contractive_weight must be >= 0, got {self.contractive_weight}")


class ContractiveAE(VanillaAE):
    """Penalises the squared Frobenius norm of the encoder's Jacobian (Rifai et al. 2011)."""

    Options = ContractiveOptions
    penalty_needs_grad = True
    description = "Penalises the squared Frobenius norm of the encoder's Jacobian (Rifai et al. 2011)."

    def penalties(self, x_in, out):
        """The contractive penalty of one batch.

        Parameters
        ----------
        x_in : tensor
            The input the model saw, shape (N, D).
        out : AEOutput
            What ``forward`` returned; unused.

        Returns
        -------
        dict
            ``{"contractive": contractive_weight * mean ||J_f(x)||_F^2}``, a scalar tensor.
        """
        return {"contractive": self.options.contractive_weight * self.jacobian_norm(x_in).mean()}

    def jacobian_norm(self, x_in: torch.Tensor) -> torch.Tensor:
        """``||J_f(x)||_F^2`` per sample, exactly: in closed form for the one-layer sigmoid code.

        Other encoders get the Jacobian by automatic differentiation, one per sample.

        Parameters
        ----------
        x_in : tensor
            Inputs, shape (N, D).

        Returns
        -------
        tensor
            Shape (N,).
        """
        layers = list(self.encoder)
        if len(layers) == 3 and isinstance(layers[2], nn.Sigmoid):
            # h = sigmoid(W x + b): dh_j/dx_i = h_j (1 - h_j) W_ji, so ||J||^2 = sum_j (h_j (1 - h_j))^2 ||W_j||^2
            # (Rifai et al. 2011, section 3) -- one matrix product instead of a Jacobian per sample.
            h = self.encoder(x_in)
            return (h * (1 - h)).pow(2) @ layers[1].weight.pow(2).sum(dim=1)
        return self._autograd_jacobian_norm(x_in)

    def _autograd_jacobian_norm(self, x_in: torch.Tensor) -> torch.Tensor:
        # The exact Jacobian of the code w.r.t. each input, one row per code unit, for any encoder.
        def encode_one(sample):
            return self.encoder(sample.unsqueeze(0)).squeeze(0)

        jacobian = torch.func.vmap(torch.func.jacrev(encode_one))(x_in)
        return jacobian.pow(2).flatten(1).sum(dim=1)


@dataclass(frozen=True)
class VAEOptions(DenseOptions):
    """Options of the variational autoencoder: hidden widths and the KL weight ``beta``."""

    hidden_dims: tuple[int, ...] = (256, 128)
    beta: float = 1.0  # weight of KL(q(z|x) || N(0, I)); beta > 1 is the beta-VAE of Higgins et al. 2017

    def validate(self) -> None:
        """Check the dense options and that ``beta`` is not negative.

        Raises
        ------
        ValueError
            Naming the first option out of range.
        """
        super().validate()
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")


class VAE(DenseAE):
    """Variational autoencoder: Gaussian code with reparameterization, analytic KL weighted by ``beta``."""

    Options = VAEOptions
    variational = True
    description = "Variational autoencoder: Gaussian code with reparameterization, analytic KL, weight beta."
