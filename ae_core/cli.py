"""``python -m ae_core``: list, train and evaluate from a terminal.

Errors print one line on stderr and exit with status 2. ``train`` shows a progress bar on
stderr and ends stdout with a one-line JSON summary.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np

from ae_core.anomaly import ReconstructionScorer, ThresholdRule, anomaly_labels, detection_metrics
from ae_core.checkpoints import check_compatible, load_checkpoint
from ae_core.datasets import DATASETS, load_dataset
from ae_core.evaluation import evaluate
from ae_core.models import MODELS
from ae_core.runs import TrainingRequest, run_training


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, OSError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ae_core", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("models", help="list the model types").set_defaults(handler=_models)
    commands.add_parser("datasets", help="list the datasets").set_defaults(handler=_datasets)

    train = commands.add_parser("train", help="train a model and save a checkpoint")
    train.add_argument("--dataset", required=True, help="dataset spec, e.g. digits, mnist, npz:PATH")
    train.add_argument("--model", required=True, help=f"one of: {', '.join(MODELS)}")
    train.add_argument("--latent-dim", type=int, required=True)
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--max-minutes", type=float, default=None, help="time budget")
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--lr", type=float, default=3e-3)
    train.add_argument("--patience", type=int, default=None, help="early stopping after N epochs without improvement")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    train.add_argument("--out", default=None, help="checkpoint directory (default: runs/<dataset>-<model>-<time>)")
    train.add_argument("--resume", default=None, help="continue from a checkpoint written by an earlier run")
    group = train.add_argument_group("model options (each model takes its own; see README)")
    for name in _all_option_names():
        group.add_argument("--" + name.replace("_", "-"), dest="opt_" + name, default=None, metavar="VALUE")
    train.set_defaults(handler=_train)

    ev = commands.add_parser("evaluate", help="reconstruction metrics of a checkpoint as JSON")
    ev.add_argument("checkpoint")
    ev.add_argument("--dataset", default=None, help="dataset spec (default: the checkpoint's)")
    ev.add_argument("--split", default="test", choices=("train", "test", "all"))
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
        "--score", default=None, choices=("reconstruction", "combined"), help="default: the JSON's, else reconstruction"
    )
    sc.add_argument("--out", default=None, help="CSV file for index, score, flagged[, label]")
    sc.set_defaults(handler=_score)

    dn = commands.add_parser("denoise", help="denoise a photo with a photo_denoiser checkpoint")
    dn.add_argument("checkpoint")
    dn.add_argument("input", help="PNG, JPEG, WebP or TIFF")
    dn.add_argument("output", help="PNG file to write")
    dn.add_argument(
        "--sigma", type=float, default=None, help="noise level in 8-bit units, e.g. 25 (default: estimated)"
    )
    dn.set_defaults(handler=_denoise)

    rec = commands.add_parser("recommend", help="train the ratings autoencoder and print test RMSE as JSON")
    rec.add_argument("--ratings", required=True, help="training ratings: u.data, ratings.csv or ratings.dat")
    rec.add_argument("--test", default=None, help="test ratings (default: 20%% of --ratings held out)")
    rec.add_argument("--epochs", type=int, default=60)
    rec.add_argument("--threads", type=int, default=None)
    rec.set_defaults(handler=_recommend)
    return parser


def _models(args) -> int:
    for name, cls in MODELS.items():
        print(f"{name}\t{cls.description}")
    return 0


def _datasets(args) -> int:
    for name, text in DATASETS.items():
        print(f"{name}\t{text}")
    return 0


def _train(args) -> int:
    options = {
        name: getattr(args, "opt_" + name) for name in _all_option_names() if getattr(args, "opt_" + name) is not None
    }
    request = TrainingRequest(
        dataset=args.dataset,
        model=args.model,
        latent_dim=args.latent_dim,
        options=options,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        patience=args.patience,
        max_minutes=args.max_minutes,
        seed=args.seed,
        map_every=0,
    )
    is_main = int(os.environ.get("RANK", "0")) == 0
    out = Path(
        args.out
        or Path("runs") / f"{_slug(args.dataset)}-{args.model}-{args.latent_dim}-{_dt.datetime.now():%Y%m%d-%H%M%S}"
    )
    bar = _progress_bar(args.epochs) if is_main else None
    try:
        summary = run_training(
            request,
            out if is_main else None,
            threads=args.threads,
            device=args.device,
            on_batch=bar.on_batch if bar else None,
            on_epoch=bar.on_epoch if bar else None,
            resume=args.resume,
        )
    finally:
        if bar:
            bar.close()
    if not is_main:
        return 0
    print(json.dumps(summary))
    return 0


def _checkpoint_and_data(args):
    """The checkpoint and the dataset it is used on (``--dataset``, else its own), checked to fit."""
    checkpoint = load_checkpoint(args.checkpoint)
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
            {"checkpoint": str(args.checkpoint), "dataset": spec, "split": args.split, **evaluate(checkpoint.model, x)}
        )
    )
    return 0


def _score(args) -> int:
    checkpoint, dataset, _ = _checkpoint_and_data(args)
    text = Path(args.threshold).read_text() if Path(args.threshold).is_file() else args.threshold
    score = args.score or (json.loads(text).get("score") if text.strip().startswith("{") else None) or "reconstruction"
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
        "rule": json.loads(scorer.rule.to_json()),
        "n": len(x),
        "flagged": int(flagged.sum()),
    }
    if labels is not None:
        summary.update(detection_metrics(labels, scores, scorer.threshold_))
    print(json.dumps(summary))
    return 0


def _denoise(args) -> int:
    from tqdm import tqdm

    from ae_core.denoise import denoise_image, noise_level
    from ae_core.images import encode_png, read_image

    checkpoint = load_checkpoint(args.checkpoint)
    if checkpoint.config["model"]["name"] != "photo_denoiser":
        raise ValueError(f"{args.checkpoint!r} is a {checkpoint.config['model']['name']!r} model, not a photo_denoiser")
    if args.sigma is not None and not 0 <= args.sigma <= 255:
        raise ValueError(f"--sigma is in 8-bit units and must be in [0, 255], got {args.sigma}")
    image = read_image(args.input)
    sigma = noise_level(image) if args.sigma is None else args.sigma / 255
    with tqdm(total=1, desc="denoising", unit="tile", file=sys.stderr, leave=False) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        clean = denoise_image(checkpoint.model, image, sigma, on_progress=progress)
    Path(args.output).write_bytes(encode_png(clean))
    print(
        json.dumps(
            {
                "output": args.output,
                "sigma_8bit": round(sigma * 255, 2),
                "estimated": args.sigma is None,
                "size": [image.shape[1], image.shape[0]],
            }
        )
    )
    return 0


def _recommend(args) -> int:
    from ae_core.recommender import Recommender, index_ratings, read_ratings, split_ratings

    train_frame = read_ratings(args.ratings)
    test_frame = read_ratings(args.test) if args.test else None
    if test_frame is None:
        train_frame, test_frame = split_ratings(train_frame, 0.2, seed=0)
    train = index_ratings(train_frame)
    test = index_ratings(test_frame, like=train)
    if len(test) == 0:
        raise ValueError("no test rating is by a known user of a known item")
    model = Recommender(epochs=args.epochs).fit(train, threads=args.threads)
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


class _progress_bar:
    """tqdm on stderr, fed by fit's callbacks."""

    def __init__(self, epochs: int):
        from tqdm import tqdm

        self.tqdm = tqdm
        self.bar = None
        self.epochs = epochs

    def on_batch(self, info) -> None:
        if self.bar is None or info.batch == 1:
            if self.bar is not None:
                self.bar.close()
            self.bar = self.tqdm(
                total=info.batches,
                desc=f"epoch {info.epoch}/{self.epochs}",
                file=sys.stderr,
                leave=False,
                mininterval=0.5,
                dynamic_ncols=True,
            )
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{info.loss:.4g}", eta=f"{info.eta:.0f}s", refresh=False)

    def on_epoch(self, info) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        mark = " *" if info["best"] else ""
        print(
            f"epoch {info['epoch']}/{info['epochs']}  train {info['train']['loss']:.4f}  val {info['val']['loss']:.4f}"
            f"  {info['elapsed']:.0f}s{mark}",
            file=sys.stderr,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _all_option_names() -> list[str]:
    return sorted({f.name for cls in MODELS.values() for f in fields(cls.Options)})


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", Path(text.split("?")[0]).name).strip("-")[:40] or "data"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
