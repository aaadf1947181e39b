"""A fully convolutional denoising autoencoder for photographs of any size.

The design is FFDNet's (Zhang, Zuo & Zhang 2018): the noisy image is rearranged into four
half-resolution sub-images (pixel unshuffle), a noise-level map is appended, a plain stack of
3x3 convolutions works at half resolution (four times cheaper than at full size) and a pixel
shuffle puts the clean image back together. The noise level is an input, so one network covers
a range of levels and a user may set it; when it is not given it is estimated from the image.

In the autoencoder vocabulary: the code is the stack's last feature map, ``latent_dim`` channels
at half resolution -- an over-complete code, as a denoiser's must be to keep detail.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ae_core.models.base import AEOptions, AEOutput, Autoencoder


@dataclass(frozen=True)
class DenoiserOptions(AEOptions):
    recon_loss: str = "mse"  # denoising is judged by PSNR, i.e. squared error
    output: str = "linear"  # the image is predicted directly; values are clipped when shown
    noise: str = "gaussian"  # additive white Gaussian noise while training
    noise_level: float = 0.22  # training draws sigma uniformly from [0, noise_level] (0.22 ~ 55/255)
    depth: int = 10  # 3x3 convolution layers in the stack

    def validate(self) -> None:
        super().validate()
        if self.noise != "gaussian":
            raise ValueError(f"the photo denoiser is trained on gaussian noise, got noise {self.noise!r}")
        if self.depth < 2:
            raise ValueError(f"depth must be at least 2, got {self.depth}")


class PhotoDenoiser(Autoencoder):
    """FFDNet-style denoiser: pixel-unshuffle, noise-level map, conv stack, pixel-shuffle."""

    Options = DenoiserOptions
    spatial_code = True
    description = "Fully convolutional photo denoiser (FFDNet design): any image size, noise level as an input."

    def __init__(self, input_shape, latent_dim, options):
        super().__init__(input_shape, latent_dim, options)
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
        """Features of the noisy image; ``sigma`` (per image, in [0, 1] units) is estimated if not given."""
        if x.shape[-1] % 2 or x.shape[-2] % 2:
            raise ValueError(f"the photo denoiser needs even image sides, got {tuple(x.shape[-2:])}; pad first")
        if sigma is None:
            sigma = estimate_noise(x)
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
        halves = F.pixel_unshuffle(x, 2)
        level = sigma.expand(len(x), 1, *halves.shape[-2:])
        return self.encoder(torch.cat([halves, level], dim=1))

    def encode_distribution(self, x):
        return self.encode(x), None

    def training_loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Each image gets its own sigma from [0, noise_level]; the network is told that sigma."""
        sigma = torch.rand(len(x), generator=generator, device="cpu").to(x.device) * self.options.noise_level
        noise = torch.randn(x.shape, generator=generator, device="cpu").to(x.device)
        noisy = x + sigma.reshape(-1, 1, 1, 1) * noise
        logits = self.decoder(self.encode(noisy, sigma))
        return self.loss(x, AEOutput(logits, logits, logits))

    def validation_loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Denoising, not copying, picks the best epoch: the same objective, with seeded noise."""
        return self.training_loss(x, generator)


def estimate_noise(x: torch.Tensor) -> torch.Tensor:
    """Standard deviation of white Gaussian noise in each image of ``x`` (N, C, H, W).

    Donoho's estimator: the median absolute value of the finest diagonal wavelet (Haar)
    coefficients divided by 0.6745 -- the estimator scikit-image's ``estimate_sigma`` uses,
    written out here so it runs on tensors without PyWavelets.
    """
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    blocks = x[..., :h, :w]
    diagonal = (
        blocks[..., 0::2, 0::2] - blocks[..., 0::2, 1::2] - blocks[..., 1::2, 0::2] + blocks[..., 1::2, 1::2]
    ) / 2
    return diagonal.abs().reshape(len(x), -1).median(dim=1).values / 0.6745
