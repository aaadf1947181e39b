"""Train the shipped photo denoiser on a folder of grayscale photos (e.g. the 400 DnCNN crops).

    python scripts/train_denoiser.py --train400 PATH --out DIR [--minutes 45] [--threads 1]
    python scripts/train_denoiser.py --train400 PATH --out DIR --resume      # continue DIR/run
    python scripts/train_denoiser.py --train400 PATH --out DIR --resume --minutes 0 --ship pretrained/photo-denoiser

A fixed, seeded 20 of the folder's photos are held out (``ae_core.apps.denoiser_training``); the rest
and the bundled training photos give the patches. Noise: white Gaussian, sigma uniform in
[0, 55/255], told to the network; and 30% of the patches with synthetic camera noise
(``ae_core.models.camera_noise``), told what the noise-level estimator reads, drawn from a pool of
``--camera-pool`` pairs made once at start on every core (not per batch on the host: on a GPU that
was the wait). The run starts from
``--warm-start`` (default: the shipped weights, which ``scripts/train_pretrained.py`` makes) and
saves DIR/run, with the optimizer state, after every epoch that improves (a few minutes each on
one core), so a stopped run resumes where it was. ``--ship`` writes the result, with its
held-out scores, as a shipped checkpoint. Nothing here reads a fixed data path.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from ae_core import build_model
from ae_core.apps.denoiser_training import (
    compare,
    noisy_versions,
    photo_files,
    read_gray,
    split_held_out,
    training_patches,
)
from ae_core.apps.denoising import benchmark, denoise_image
from ae_core.checkpoints import load_checkpoint, save_checkpoint
from ae_core.data import load_dataset, photo
from ae_core.data.builtin import TEST_PHOTOS, TRAIN_PHOTOS
from ae_core.models.camera_noise import camera_pairs
from ae_core.models.metrics import evaluate
from ae_core.train.checkpointing import resume_from, save_best_to
from ae_core.train.loop import fit
from ae_core.train.settings import PRECISIONS

OPTIONS = {"depth": 10, "noise_level": 0.22, "camera_noise": 0.3}
FEATURES, PATCH = 48, 40


def held_out_scores(model, held_out: dict[str, np.ndarray]) -> dict:
    """PSNR at sigma 25 (8-bit, told sigma) and on camera noise (blind) on the held-out crops,
    and at sigma 25 on the bundled held-out photos (the number recorded since the first weights)."""
    network = {"network": lambda image, sigma: denoise_image(model, image, sigma)}
    gaussian = compare(network, *noisy_versions(held_out, "gaussian"), 25 / 255)
    camera = compare(network, *noisy_versions(held_out, "camera"), None)
    bundled = {name: photo(name).mean(axis=2, keepdims=True) for name in TEST_PHOTOS}
    return {
        "held_out_psnr_sigma25_8bit": gaussian["network"]["psnr"],
        "held_out_camera_noisy_psnr": round(camera["noisy input"]["psnr"], 3),
        "held_out_camera_psnr": camera["network"]["psnr"],
        "held_out_camera_worse": camera["network"]["worse"],
        "psnr_sigma25": benchmark(model, bundled)["network"]["psnr"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--train400", required=True, help="folder of grayscale training photos")
    parser.add_argument("--out", required=True, help="folder for the resumable run (outside the repository)")
    parser.add_argument("--warm-start", default="pretrained/photo-denoiser")
    parser.add_argument("--resume", action="store_true", help="continue OUT/run")
    parser.add_argument("--overwrite", action="store_true", help="start again over an existing OUT/run")
    parser.add_argument("--minutes", type=float, default=45.0, help="time budget of this invocation")
    parser.add_argument("--patches", type=int, default=10_000, help="patches per epoch")
    parser.add_argument("--patch-seed", type=int, default=0, help="which random crops make the patches")
    parser.add_argument(
        "--depth",
        type=int,
        default=OPTIONS["depth"],
        help="convolution layers; a shallower --warm-start is deepened first, computing what it did (Net2Net)",
    )
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--camera-pool", type=int, default=20_000, help="camera-noise pairs made at start (0: per batch)"
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--precision",
        default="bfloat16",
        choices=PRECISIONS,
        help="bfloat16 autocast: 1.23x the samples/s on a CPU with native bfloat16 (use float32 where it is emulated)",
    )
    parser.add_argument("--evaluate", action="store_true", help="only score OUT/run and --warm-start")
    parser.add_argument("--ship", default=None, help="write the trained model here as a shipped checkpoint")
    args = parser.parse_args()
    train_files, held_files = split_held_out(photo_files(args.train400))
    held_out = {f.name: read_gray(f) for f in held_files}
    run = Path(args.out) / "run"
    if args.evaluate:
        for name, path in (("warm_start", args.warm_start), ("run", run)):
            print(json.dumps({name: str(path), **held_out_scores(load_checkpoint(path).model, held_out)}), flush=True)
        return 0
    if (run / "config.json").exists() and not (args.resume or args.overwrite):
        parser.error(
            f"{run} holds a run: --resume continues it (--minutes 0 --ship only ships it), --overwrite starts again"
        )
    images = [read_gray(f) for f in train_files] + [photo(n).mean(axis=2, keepdims=True) for n in TRAIN_PHOTOS]
    x = training_patches(images, args.patches, PATCH, seed=args.patch_seed)
    model = build_model("photo_denoiser", (1, PATCH, PATCH), FEATURES, seed=0, **{**OPTIONS, "depth": args.depth})
    if not args.resume and args.warm_start:
        start = load_checkpoint(args.warm_start).model
        if start.options.depth < args.depth:
            start = start.deepened(args.depth - start.options.depth, torch.from_numpy(x[:2048]))
        model.load_state_dict(start.state_dict())
    if args.camera_pool and args.minutes > 0:
        model.use_camera_pool(*camera_pairs(training_patches(images, args.camera_pool, PATCH, seed=1), seed=1))
    # The checkpoint names data the app can load (the bundled photos' patches); train400 is described in extra.
    dataset = "photos?patch=40&n=60000&color=0&seed=0"
    described = f"{len(train_files)} train400 crops (20 held out, seed 16) + the bundled photos"
    if args.minutes <= 0:  # --resume --minutes 0: no training, the run as it is (to --ship it)
        model.load_state_dict(load_checkpoint(run).model.state_dict())
    result = (
        None
        if args.minutes <= 0
        else fit(
            model,
            x,
            epochs=10_000,
            batch_size=args.batch_size,
            lr=args.lr,
            max_minutes=args.minutes,
            seed=0,
            device=args.device,
            precision=args.precision,
            threads=args.threads,
            on_improve=save_best_to(
                run,
                dataset=dataset,
                extra={"warm_start": args.warm_start, "held_out": sorted(held_out), "training_data": described},
            ),
            resume=resume_from(run) if args.resume else None,
        )
    )
    model.cpu().eval()
    scores = {**evaluate(model, load_dataset(dataset).x_test), **held_out_scores(model, held_out)}
    trained = {"epochs": result.epochs_run, "seconds": round(result.seconds)} if result else {}
    print(json.dumps({**trained, **scores}), flush=True)
    if args.ship:
        previous = load_checkpoint(run).config
        save_checkpoint(
            model,
            args.ship,
            dataset=dataset,
            metrics=scores,
            training=previous.get("training"),
            extra={
                "warm_start": args.warm_start,
                "held_out": sorted(held_out),
                "training_data": described,
                "script": "scripts/train_denoiser.py",
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
