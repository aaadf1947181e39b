"""The shipped photo denoiser against BM3D and the classical filters, and its speed.

    PYTHONPATH=. python bench/denoise.py [--checkpoint pretrained/photo-denoiser]
    PYTHONPATH=. python bench/denoise.py --train400 FOLDER     # + its 20 seeded held-out crops
    PYTHONPATH=. python bench/denoise.py --photos A.png B.png  # + any grayscale photos
    PYTHONPATH=. python bench/denoise.py --no-bm3d --no-speed  # quick

BM3D (Dabov et al. 2007; PyPI ``bm3d``, the authors' reference implementation) is a
benchmark-only dependency, not in requirements.txt: ``pip install bm3d``. Without it the BM3D
rows are left out and said so.

Quality: mean PSNR over grayscale photos never seen in training -- by default the bundled
held-out photos (camera, flower); ``--train400`` adds the 20 crops ``scripts/train_denoiser.py``
holds out of that folder, ``--photos`` any others -- with, for every method, how many photos came
back worse than the noisy input and the seconds per photo:

- white Gaussian noise at sigma = 15, 25, 50 (8-bit units), saved as 8-bit (clipped, rounded);
  every method told the true sigma, and the network also blind (its own noise-level map);
- synthetic camera noise (``ae_core.models.camera_noise``: a random camera per photo), judged against
  the camera's noise-free output; the network blind, the others told the estimated level.

Speed: a 512 x 512 grayscale photo and a 12-megapixel colour photo (4000 x 3000, with progress
callbacks counted) on 2 threads: wall seconds, process CPU seconds (the machine may be shared:
CPU seconds / 2 is what 2 idle cores would take) and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import torch

from ae_core.apps.denoiser_training import compare, noisy_versions, photo_files, read_gray, split_held_out
from ae_core.apps.denoising import CLASSICAL, classical, denoise_image, noise_level
from ae_core.checkpoints import load_checkpoint
from ae_core.data import photo
from ae_core.data.builtin import TEST_PHOTOS


def methods(model, with_bm3d: bool) -> dict:
    """name -> f(noisy, sigma); sigma None: the network estimates, the others get the estimate."""

    def told(f):
        return lambda image, sigma: f(image, noise_level(image) if sigma is None else sigma)

    out = {"network": lambda image, sigma: denoise_image(model, image, sigma)}
    if with_bm3d:
        import bm3d

        out["bm3d"] = told(lambda image, sigma: bm3d.bm3d(image[:, :, 0], sigma)[:, :, None])
    for name in CLASSICAL:
        out[name] = told(lambda image, sigma, name=name: classical(image, name, sigma))
    return out


def quality_rows(model, sets: dict[str, dict[str, np.ndarray]], with_bm3d: bool) -> None:
    chosen = methods(model, with_bm3d)
    blind = {"network_blind": chosen["network"]}
    for set_name, photos in sets.items():
        for sigma in (15, 25, 50):
            references, noisy = noisy_versions(photos, "gaussian", sigma / 255)
            rows = compare(chosen, references, noisy, sigma / 255) | compare(blind, references, noisy, None)
            print(json.dumps({"photos": set_name, "n": len(photos), "noise": f"gaussian {sigma}", **rows}), flush=True)
        references, noisy = noisy_versions(photos, "camera")
        rows = compare(chosen, references, noisy, None)
        print(json.dumps({"photos": set_name, "n": len(photos), "noise": "camera", **rows}), flush=True)


def speed(model) -> None:
    gray = np.random.default_rng(0).random((512, 512, 1), dtype=np.float32)
    denoise_image(model, gray[:128, :128], 25 / 255)  # warm-up: oneDNN picks its kernels
    timings = {}
    for name, image in (
        ("gray_512", gray),
        ("color_12mp", np.random.default_rng(1).random((3000, 4000, 3), np.float32)),
    ):
        calls = []
        wall, cpu = time.perf_counter(), time.process_time()
        denoise_image(model, image, on_progress=lambda d, t, calls=calls: calls.append(d))
        timings[f"{name}_s"] = round(time.perf_counter() - wall, 2)
        timings[f"{name}_cpu_s"] = round(time.process_time() - cpu, 2)
        timings[f"{name}_progress_calls"] = len(calls)
        del image
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**timings, "threads": torch.get_num_threads(), "peak_rss_mib": round(peak)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="pretrained/photo-denoiser")
    parser.add_argument("--train400", default=None, help="folder: also its 20 seeded held-out photos")
    parser.add_argument("--photos", nargs="*", default=[], help="more grayscale photos")
    parser.add_argument("--no-bm3d", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--no-bundled", action="store_true", help="skip camera and flower")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = load_checkpoint(args.checkpoint).model
    sets = {}
    if not args.no_bundled:
        sets["bundled held-out"] = {name: photo(name).mean(axis=2, keepdims=True) for name in TEST_PHOTOS}
    if args.train400:
        sets["train400 held-out"] = {f.name: read_gray(f) for f in split_held_out(photo_files(args.train400))[1]}
    if args.photos:
        sets["given"] = {Path(p).name: read_gray(p) for p in args.photos}
    with_bm3d = not args.no_bm3d
    if with_bm3d:
        try:
            import bm3d  # noqa: F401
        except ImportError:
            print(json.dumps({"bm3d": "not installed (pip install bm3d); its rows are left out"}), flush=True)
            with_bm3d = False
    quality_rows(model, sets, with_bm3d)
    if not args.no_speed:
        speed(model)


if __name__ == "__main__":
    main()
