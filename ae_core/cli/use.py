"""Commands that run a saved checkpoint: ``evaluate``, ``score``, ``denoise``; and ``recommend``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ae_core.apps.anomaly import anomaly_labels, detection_metrics
from ae_core.checkpoints import check_compatible, load_checkpoint
from ae_core.data import load_dataset
from ae_core.models.metrics import evaluate
from ae_core.train.runtime import DEVICES, resolve_device, set_threads


def register(commands) -> None:
    """Add the ``evaluate``, ``score``, ``denoise`` and ``recommend`` subcommands.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.
    """
    ev = commands.add_parser("evaluate", help="reconstruction metrics of a checkpoint as JSON")
    ev.add_argument("checkpoint")
    ev.add_argument("--dataset", default=None, help="dataset spec (default: the checkpoint's)")
    ev.add_argument("--split", default="test", choices=("train", "test", "all"))
    ev.add_argument("--device", default="auto", choices=DEVICES, help="where the model runs (default: a GPU if any)")
    ev.set_defaults(handler=_evaluate)

    sc = commands.add_parser("score", help="anomaly scores (reconstruction error) and flags as CSV")
    sc.add_argument("checkpoint")
    sc.add_argument("--dataset", default=None, help="dataset spec (default: the checkpoint's)")
    sc.add_argument("--split", default="test", choices=("train", "test", "all"))
    sc.add_argument(
        "--threshold",
        default="contamination:0.05",
        help="STRATEGY[:VALUE] (contamination, sigma, mad, iqr, otsu, manual) or a threshold JSON file from the app;"
        " fitted on the checkpoint's training split",
    )
    sc.add_argument(
        "--score",
        default=None,
        choices=("reconstruction", "combined"),
        help="default: the JSON's, else combined for tables and reconstruction for images",
    )
    sc.add_argument("--out", default=None, help="CSV file for index, score, flagged[, label]")
    sc.set_defaults(handler=_score)

    dn = commands.add_parser("denoise", help="denoise a photo with a photo_denoiser checkpoint")
    dn.add_argument("checkpoint")
    dn.add_argument("input", help="PNG, JPEG, WebP or TIFF")
    dn.add_argument("output", help="PNG file to write")
    dn.add_argument(
        "--sigma",
        type=float,
        default=None,
        help="noise level in 8-bit units, e.g. 25 (default: a noise-level map estimated from the photo)",
    )
    dn.add_argument("--strength", type=float, default=1.0, help="multiplies the noise level (0-4; default 1)")
    dn.add_argument("--device", default="auto", choices=DEVICES, help="where the model runs (default: a GPU if any)")
    dn.add_argument("--threads", type=int, default=None, help="CPU threads (default: every core)")
    dn.set_defaults(handler=_denoise)

    rec = commands.add_parser("recommend", help="train the ratings autoencoder and print test RMSE as JSON")
    rec.add_argument(
        "--ratings",
        required=True,
        help="training ratings: u.data, ratings.csv or ratings.dat",
    )
    rec.add_argument(
        "--test",
        default=None,
        help="test ratings (default: 20%% of --ratings held out)",
    )
    rec.add_argument("--epochs", type=int, default=60)
    rec.add_argument("--threads", type=int, default=None)
    rec.set_defaults(handler=_recommend)


def _checkpoint_and_data(args):
    """The checkpoint and the dataset it is used on (``--dataset``, else its own), checked to fit."""
    checkpoint = load_checkpoint(args.checkpoint, resolve_device(getattr(args, "device", "cpu")))
    spec = args.dataset or checkpoint.dataset
    if not spec:
        raise ValueError("the checkpoint names no dataset; pass --dataset SPEC")
    dataset = load_dataset(spec, scaler=checkpoint.scaler)
    check_compatible(checkpoint.config, dataset.shape, f"dataset {spec!r}")
    return checkpoint, dataset, spec


def _evaluate(args) -> int:
    checkpoint, dataset, spec = _checkpoint_and_data(args)
    x, _ = dataset.split(args.split)
    print(
        json.dumps(
            {
                "checkpoint": str(args.checkpoint),
                "dataset": spec,
                "split": args.split,
                **evaluate(checkpoint.model, x),
            }
        )
    )
    return 0


def _score(args) -> int:
    from ae_core.apps.anomaly_scorer import ReconstructionScorer, ThresholdRule  # scikit-learn: only for this command

    checkpoint, dataset, _ = _checkpoint_and_data(args)
    text = Path(args.threshold).read_text() if Path(args.threshold).is_file() else args.threshold
    score = args.score or (json.loads(text).get("score") if text.strip().startswith("{") else None)
    scorer = ReconstructionScorer(checkpoint.model, ThresholdRule.parse(text), score=score).fit(dataset.x_train)
    x, _ = dataset.split(args.split)
    scores = scorer.decision_function(x)
    flagged = (scores > scorer.threshold_).astype(int)
    labels = anomaly_labels(dataset, args.split)
    if args.out:
        import pandas as pd

        table = pd.DataFrame({"index": np.arange(len(x)), "score": scores, "flagged": flagged})
        if labels is not None:
            table["anomaly"] = labels
        table.to_csv(args.out, index=False)
    summary = {
        "threshold": scorer.threshold_,
        "rule": json.loads(scorer.rule_.to_json(scorer.score_kind)),
        "n": len(x),
        "flagged": int(flagged.sum()),
    }
    if labels is not None:
        summary.update(detection_metrics(labels, scores, scorer.threshold_))
    print(json.dumps(summary))
    return 0


def _denoise(args) -> int:
    from tqdm import tqdm

    from ae_core.apps.denoising import denoise_image, noise_level
    from ae_core.data.images import encode_png, read_image

    set_threads(args.threads)
    device = resolve_device(args.device)
    checkpoint = load_checkpoint(args.checkpoint)
    kind = checkpoint.parsed.model.name
    if kind != "photo_denoiser":
        raise ValueError(f"{args.checkpoint!r} is a {kind!r} model, not a photo_denoiser")
    if args.sigma is not None and not 0 <= args.sigma <= 255:
        raise ValueError(f"--sigma is in 8-bit units and must be in [0, 255], got {args.sigma}")
    image = read_image(args.input)
    sigma = None if args.sigma is None else args.sigma / 255
    with tqdm(total=1, desc="denoising", unit="tile", file=sys.stderr, leave=False) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        clean = denoise_image(checkpoint.model, image, sigma, args.strength, on_progress=progress, device=device)
    Path(args.output).write_bytes(encode_png(clean))
    print(
        json.dumps(
            {
                "output": args.output,
                "sigma_8bit": round((noise_level(image) if sigma is None else sigma) * 255, 2),
                "estimated": args.sigma is None,
                "size": [image.shape[1], image.shape[0]],
            }
        )
    )
    return 0


def _recommend(args) -> int:
    from ae_core.apps.recommender import (
        Recommender,
        index_ratings,
        read_ratings,
        split_ratings,
    )

    train_frame = read_ratings(args.ratings)
    test_frame = read_ratings(args.test) if args.test else None
    if test_frame is None:
        train_frame, test_frame = split_ratings(train_frame, 0.2, seed=0)
    train = index_ratings(train_frame)
    test = index_ratings(test_frame, like=train)
    if len(test) == 0:
        raise ValueError("no test rating is by a known user of a known item")
    model = Recommender(epochs=args.epochs, threads=args.threads).fit(train)
    rmse = model.rmse(test)
    print(
        json.dumps(
            {
                "rmse": rmse["autorec"],
                "baselines": {k: v for k, v in rmse.items() if k != "autorec"},
                "train_ratings": len(train),
                "test_ratings": len(test),
                "test_ratings_skipped": len(test_frame) - len(test),
            }
        )
    )
    return 0
