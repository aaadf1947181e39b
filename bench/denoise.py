"""The shipped photo denoiser: quality against classical filters, and speed.

    PYTHONPATH=. python bench/denoise.py [--checkpoint pretrained/photo-denoiser]

Quality: PSNR/SSIM at sigma = 15, 25 and 50 (8-bit units; unclipped white Gaussian noise, the
benchmark convention) on the held-out photos (camera and flower, grayscale, never seen in
training), for the network (told the true sigma, and blind with the estimated sigma) and four
classical filters. Speed: one 512x512 grayscale photo, and a 12-megapixel colour one (4000x3000)
with the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import torch

from ae_core.checkpoints import load_checkpoint
from ae_core.datasets import photo
from ae_core.datasets.builtin import TEST_PHOTOS
from ae_core.denoise import CLASSICAL, benchmark, denoise_image, noisy_copy, quality


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="pretrained/photo-denoiser")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = load_checkpoint(args.checkpoint).model
    photos = {name: photo(name).mean(axis=2, keepdims=True) for name in TEST_PHOTOS}
    for sigma in (15, 25, 50):
        result = benchmark(model, photos, sigma / 255, filters=CLASSICAL)
        blind = np.mean(
            [
                quality(c, denoise_image(model, noisy_copy(c, sigma / 255, seed=i)))["psnr"]
                for i, c in enumerate(photos.values())
            ]
        )
        print(
            json.dumps(
                {
                    "sigma": sigma,
                    **{k: v["psnr"] for k, v in result.items()},
                    "network_blind": round(float(blind), 3),
                    "ssim": {k: v["ssim"] for k, v in result.items()},
                }
            ),
            flush=True,
        )
    gray = noisy_copy(np.random.default_rng(0).random((512, 512, 1), dtype=np.float32), 25 / 255)
    denoise_image(model, gray[:128, :128], 25 / 255)
    start = time.perf_counter()
    denoise_image(model, gray, 25 / 255)
    gray_s = time.perf_counter() - start
    big = np.random.default_rng(1).random((3000, 4000, 3), dtype=np.float32)
    start = time.perf_counter()
    denoise_image(model, big, 25 / 255)
    big_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"gray_512_s": round(gray_s, 2), "color_12mp_s": round(big_s, 1), "peak_rss_mib": round(peak)}))


if __name__ == "__main__":
    main()
