"""A fully convolutional denoising autoencoder for photographs of any size.

The design is FFDNet's (Zhang, Zuo & Zhang 2018): the noisy image is rearranged into four
half-resolution sub-images (pixel unshuffle), a noise-level map is appended, a plain stack of
3x3 convolutions works at half resolution (four times cheaper than at full size) and a pixel
shuffle puts the clean image back together. The noise level is an input, so one network covers
a range of levels and a user may set it (a number or a map); when it is not given it is
estimated from the image (ae_core.models.noise_level).

In the autoencoder vocabulary: the code is the stack's last feature map, ``latent_dim`` channels
at half resolution -- an over-complete code, as a denoiser's must be to keep detail.
"""

from __future__ import annotations

from copy import deepcopy as copy_module
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ae_core.models.base import AEOutput, Autoencoder
from ae_core.models.noise import random_normal, random_uniform
from ae_core.models.noise_level import estimate_noise
from ae_core.models.options import AEOptions


@dataclass(frozen=True)
class DenoiserOptions(AEOptions):
    """Options of the photo denoiser: training noise range, stack depth, share of synthetic camera noise."""

    recon_loss: str = "mse"  # denoising is judged by PSNR, i.e. squared error
    output: str = "linear"  # the image is predicted directly; values are clipped when shown
    noise: str = "gaussian"  # additive white Gaussian noise while training
    noise_level: float = 0.22  # training draws sigma uniformly from [0, noise_level] (0.22 ~ 55/255)
    depth: int = 10  # 3x3 convolution layers in the stack
    camera_noise: float = 0.0  # fraction of training images given synthetic camera noise instead

    def validate(self) -> None:
        """Check the shared options, that the noise is Gaussian, ``depth`` >= 2 and ``camera_noise`` in [0, 1].

        Raises
        ------
        ValueError
            Naming the first option out of range.
        """
        super().validate()
        if self.noise != "gaussian":
            raise ValueError(f"the photo denoiser is trained on gaussian noise, got noise {self.noise!r}")
        if self.depth < 2:
            raise ValueError(f"depth must be at least 2, got {self.depth}")
        if not 0 <= self.camera_noise <= 1:
            raise ValueError(f"camera_noise is a fraction in [0, 1], got {self.camera_noise}")


class PhotoDenoiser(Autoencoder):
    """FFDNet-style denoiser: pixel-unshuffle, noise-level map, conv stack, pixel-shuffle."""

    Options = DenoiserOptions
    spatial_code = True
    description = "Fully convolutional photo denoiser (FFDNet design): any image size, noise level as an input."

    def __init__(self, input_shape, latent_dim, options):
        super().__init__(input_shape, latent_dim, options)
        self._camera_pool: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None  # see use_camera_pool
        if len(self.input_shape) != 3:
            raise ValueError(f"the photo denoiser needs images (C, H, W), got input shape {self.input_shape}")
        channels = self.input_shape[0]
        layers: list[nn.Module] = [nn.Conv2d(4 * channels + 1, latent_dim, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(options.depth - 2):
            layers += [nn.Conv2d(latent_dim, latent_dim, 3, padding=1, bias=False), nn.BatchNorm2d(latent_dim)]
            layers.append(nn.ReLU(inplace=True))
        self.encoder = nn.Sequential(*layers)
        self.decoder = nn.Sequential(nn.Conv2d(latent_dim, 4 * channels, 3, padding=1), nn.PixelShuffle(2))

    def encode(self, x: torch.Tensor, sigma: torch.Tensor | float | None = None) -> torch.Tensor:
        """Features of the noisy image.

        ``sigma`` is the noise level in [0, 1] units: a number, one per image, or a noise-level
        map (N, 1, h, w) of any size (resized to the half-resolution grid, as FFDNet's map is);
        estimated from the image if not given.

        Parameters
        ----------
        x : tensor of shape (N, C, H, W)
            H and W even.
        sigma : tensor or float, optional

        Returns
        -------
        tensor of shape (N, latent_dim, H/2, W/2)

        Raises
        ------
        ValueError
            If a side of the image is odd.
        """
        if x.shape[-1] % 2 or x.shape[-2] % 2:
            raise ValueError(f"the photo denoiser needs even image sides, got {tuple(x.shape[-2:])}; pad first")
        if sigma is None:
            sigma = estimate_noise(x).mean(dim=1)
        halves = F.pixel_unshuffle(x, 2)
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
        if sigma.dim() == 4:
            level = F.interpolate(sigma, size=halves.shape[-2:], mode="bilinear", align_corners=False)
        else:
            level = sigma.reshape(-1, 1, 1, 1).expand(len(x), 1, *halves.shape[-2:])
        return self.encoder(torch.cat([halves, level.contiguous(memory_format=torch.channels_last)], dim=1))

    def fused(self) -> PhotoDenoiser:
        """An inference copy with each batch norm folded into its convolution (same outputs, faster).

        Returns
        -------
        PhotoDenoiser
            A new model in eval mode; this one is not changed.
        """
        from torch.nn.utils.fusion import fuse_conv_bn_eval

        # The training pool (possibly hundreds of MB) is left out of the copy.
        copy = copy_module(self, {id(self._camera_pool): None}).eval()
        layers, modules = [], list(copy.encoder)
        for module in modules:
            if isinstance(module, nn.BatchNorm2d):
                layers[-1] = fuse_conv_bn_eval(layers[-1], module)
            else:
                layers.append(module)
        copy.encoder = nn.Sequential(*layers)
        return copy

    def deepened(self, layers: int, x: torch.Tensor, sigma: float = 0.1) -> PhotoDenoiser:
        """A copy with ``layers`` more convolution blocks that computes what this one does (Net2Net's
        deeper network, Chen et al. 2016), so that training it starts from this one's quality.

        Each new block (before the last convolution) is a 3x3 identity convolution, a batch norm
        set to undo its own normalisation on these features and a ReLU, which keeps the
        (non-negative) features as they are. The norm's statistics are measured on ``x``.

        Parameters
        ----------
        layers : int
            How many blocks to add, >= 1.
        x : tensor of shape (N, C, H, W)
            Clean patches to measure the features on (noise of level ``sigma`` is added).
        sigma : float, default 0.1

        Returns
        -------
        PhotoDenoiser
            In eval mode, ``options.depth`` raised by ``layers``; this one is not changed.

        Raises
        ------
        ValueError
            If ``layers`` is below 1.
        """
        if layers < 1:
            raise ValueError(f"layers to add must be at least 1, got {layers}")
        from dataclasses import replace

        options = replace(self.options, depth=self.options.depth + layers)
        deeper = type(self)(self.input_shape, self.latent_dim, options).eval()
        old_end = len(self.encoder)  # the new blocks follow the old stack's modules
        was_training = self.training
        with torch.no_grad():
            noisy = x + sigma * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
            features = self.eval().encode(noisy, sigma)
            self.train(was_training)
            mean, var = features.mean(dim=(0, 2, 3)), features.var(dim=(0, 2, 3))
            new = deeper.state_dict()
            new.update(self.state_dict())  # the old modules keep their names
            for i in range(old_end, len(deeper.encoder)):
                module = deeper.encoder[i]
                if isinstance(module, nn.Conv2d):
                    identity = torch.zeros_like(module.weight)
                    identity[range(self.latent_dim), range(self.latent_dim), 1, 1] = 1
                    new[f"encoder.{i}.weight"] = identity
                elif isinstance(module, nn.BatchNorm2d):
                    new[f"encoder.{i}.weight"] = (var + module.eps).sqrt()
                    new[f"encoder.{i}.bias"] = mean
                    new[f"encoder.{i}.running_mean"] = mean
                    new[f"encoder.{i}.running_var"] = var
        deeper.load_state_dict(new)
        return deeper

    def encode_distribution(self, x):
        """Features of the image, with its noise level estimated from it.

        Parameters
        ----------
        x : tensor
            Images (N, C, H, W) with even sides.

        Returns
        -------
        tuple
            ``(features, None)``: the features have shape (N, latent_dim, H/2, W/2).
        """
        return self.encode(x), None

    def use_camera_pool(self, references: np.ndarray | torch.Tensor, noisy: np.ndarray | torch.Tensor) -> None:
        """Train the ``camera_noise`` share of each batch on these pairs (made once, e.g. by
        ``ae_core.models.camera_noise.camera_pairs``) instead of making camera noise per batch.

        The pool is not part of the model: it is not saved with it. Each pair is told what the
        noise-level estimator reads on it, as at use time.

        Parameters
        ----------
        references, noisy : array or tensor of shape (N, C, H, W)
            Noise-free and noisy patches of the training patches' size.

        Raises
        ------
        ValueError
            If the two differ in shape, or the patches do not fit the model's input.
        """
        references, noisy = (torch.as_tensor(np.asarray(a, np.float32)) for a in (references, noisy))
        if references.shape != noisy.shape or tuple(references.shape[1:]) != tuple(self.input_shape):
            raise ValueError(
                f"camera pairs must both be (N, *{tuple(self.input_shape)}), got {tuple(references.shape)} "
                f"and {tuple(noisy.shape)}"
            )
        with torch.no_grad():
            sigma = torch.cat([estimate_noise(noisy[i : i + 1024]).mean(dim=1) for i in range(0, len(noisy), 1024)])
        self._camera_pool = (references, noisy, sigma)

    def training_loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Each image gets its own sigma from [0, noise_level] and is told it (FFDNet's training);
        a ``camera_noise`` fraction instead gets a random camera's noise (ae_core.models.camera_noise),
        is told what the estimator reads on it, as at use time, and is judged against the same
        camera's noise-free output: a pair drawn from the pool ``use_camera_pool`` gave, or else
        made here, on the host.

        Parameters
        ----------
        x : tensor of shape (N, C, H, W)
            Clean patches.
        generator : torch.Generator, optional
            For sigma, the noise and the camera choice (on the CPU or the batch's device).

        Returns
        -------
        dict
            ``recon`` and ``loss`` (squared error), scalar tensors.
        """
        # Drawn where ``generator`` lives: on a GPU, fit's GPU generator draws without the host.
        sigma = random_uniform(len(x), generator, x.device) * self.options.noise_level
        noisy = x + sigma.reshape(-1, 1, 1, 1) * random_normal(x.shape, generator, x.device)
        target = x
        camera = random_uniform(len(x), generator, x.device) < self.options.camera_noise
        pool = self._camera_pool
        if pool is not None and self.options.camera_noise > 0:
            if pool[0].device != x.device:
                pool = self._camera_pool = tuple(t.to(x.device) for t in pool)
            picks = (random_uniform(len(x), generator, x.device) * len(pool[0])).long()
            chosen = camera.reshape(-1, 1, 1, 1)
            target = torch.where(chosen, pool[0][picks].to(x.dtype), x)
            noisy = torch.where(chosen, pool[1][picks].to(x.dtype), noisy)
            sigma = torch.where(camera, pool[2][picks].to(x.dtype), sigma)
        elif camera.any():  # camera noise made on the host, photo by photo (numpy and JPEG)
            from ae_core.models.camera_noise import camera_pair, random_camera

            rng = np.random.default_rng(int(random_uniform(1, generator, "cpu")[0] * 2**31))
            target, noisy, sigma = x.clone(), noisy.clone(), sigma.clone()
            for i in torch.nonzero(camera).flatten().tolist():
                clean = x[i].detach().cpu().numpy().transpose(1, 2, 0)
                pair = camera_pair(clean, random_camera(rng), rng)
                reference, image = (torch.from_numpy(p.transpose(2, 0, 1)) for p in pair)
                target[i], noisy[i] = reference.to(x.device), image.to(x.device)
                sigma[i] = estimate_noise(image[None]).mean()
        logits = self.decoder(self.encode(noisy, sigma))
        return self.loss(target, AEOutput(logits, logits, logits))

    def validation_loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Denoising, not copying, picks the best epoch: the same objective, with seeded noise.

        Parameters
        ----------
        x : tensor of shape (N, C, H, W)
        generator : torch.Generator, optional

        Returns
        -------
        dict
            As ``training_loss``.
        """
        return self.training_loss(x, generator)
