"""``train``: fit a model from the registry on a dataset and save its checkpoint."""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sys
import time
from dataclasses import fields
from pathlib import Path

from ae_core.models import MODELS
from ae_core.train.request import TrainingRequest, run_training
from ae_core.train.settings import PRECISIONS, UNTIL_BUDGET, TrainingSettings


def register(commands) -> None:
    """Add the ``train`` subcommand (its defaults are ``TrainingSettings()``'s) to ``commands``.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.
    """
    defaults = TrainingSettings()
    train = commands.add_parser("train", help="train a model and save a checkpoint")
    train.add_argument("--dataset", required=True, help="dataset spec, e.g. digits, mnist, npz:PATH")
    train.add_argument("--model", required=True, help=f"one of: {', '.join(MODELS)}")
    train.add_argument("--latent-dim", type=int, required=True)
    train.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"passes over the data (default {defaults.epochs}; with --max-minutes, as many as the time allows)",
    )
    train.add_argument(
        "--max-minutes", type=float, default=defaults.max_minutes, help="time budget (the schedule follows it)"
    )
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--lr", type=float, default=defaults.lr)
    train.add_argument("--weight-decay", type=float, default=defaults.weight_decay, help="AdamW's decoupled decay")
    train.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=defaults.precision,
        help="bfloat16: layers under autocast (faster where the CPU or GPU has native bfloat16)",
    )
    train.add_argument(
        "--patience",
        type=int,
        default=defaults.patience,
        help="early stopping after N epochs without improvement",
    )
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    train.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: all cores)",
    )
    train.add_argument(
        "--out",
        default=None,
        help="checkpoint directory (default: runs/<dataset>-<model>-<time>)",
    )
    train.add_argument(
        "--resume",
        default=None,
        help="continue from a checkpoint written by an earlier run",
    )
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="replace what is at --out (refused otherwise, unless --out is the --resume checkpoint)",
    )
    group = train.add_argument_group("model options (each model takes its own; see README)")
    for name in _all_option_names():
        group.add_argument(
            "--" + name.replace("_", "-"),
            dest="opt_" + name,
            default=None,
            metavar="VALUE",
        )
    train.set_defaults(handler=_train)


def settings_from(args) -> TrainingSettings:
    """The training settings the command line asks for: ``TrainingSettings()`` where a flag is not
    given, except that ``--max-minutes`` without ``--epochs`` trains until the time is up (the
    learning rate decays with the clock).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``train`` arguments.

    Returns
    -------
    TrainingSettings
    """
    epochs = args.epochs or (UNTIL_BUDGET if args.max_minutes else TrainingSettings().epochs)
    return TrainingSettings(
        epochs=epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        precision=args.precision,
        patience=args.patience,
        max_minutes=args.max_minutes,
        seed=args.seed,
    )


def _train(args) -> int:
    settings = settings_from(args)
    options = {
        name: getattr(args, "opt_" + name) for name in _all_option_names() if getattr(args, "opt_" + name) is not None
    }
    request = TrainingRequest(
        dataset=args.dataset,
        model=args.model,
        latent_dim=args.latent_dim,
        options=options,
        settings=settings,
        map_every=0,
    )
    is_main = int(os.environ.get("RANK", "0")) == 0
    out = Path(
        args.out
        or Path("runs") / f"{_slug(args.dataset)}-{args.model}-{args.latent_dim}-{_dt.datetime.now():%Y%m%d-%H%M%S}"
    )
    if is_main:
        _check_out(out, args)
    bar = _progress_bar(None if settings.epochs == UNTIL_BUDGET else settings.epochs) if is_main else None
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
    if summary["stopped"] == "non_finite":
        print(
            f"error: the loss became NaN or infinite after epoch {summary['epochs_run']}; training stopped and the "
            f"best epoch ({summary['best_epoch']}) is kept in {out}; try a smaller --lr",
            file=sys.stderr,
        )
        return 2
    if summary["stopped"] == "interrupted":
        print(
            f"interrupted after {bar.label(summary['epochs_run'], ' of ')}; the best epoch "
            f"({summary['best_epoch']}) is saved in {out} (continue with --resume {out})",
            file=sys.stderr,
        )
        return 130
    return 0


def _check_out(out: Path, args) -> None:
    """Never replace a model or a file without being told to."""
    if not (out.exists() or out.is_symlink()):
        return
    if args.resume and Path(args.resume).resolve() == out.resolve():
        return
    if not args.overwrite:
        what = "a model" if (out / "config.json").is_file() else "a file" if not out.is_dir() else "a folder"
        raise ValueError(
            f"--out {str(out)!r} is already {what}; pass --overwrite to replace it, or --resume {str(out)!r} to continue it"
        )
    if not out.is_dir():
        out.unlink()


class _progress_bar:
    """tqdm on stderr, fed by fit's callbacks; ``epochs`` None for a run its time budget ends."""

    def __init__(self, epochs: int | None):
        from tqdm import tqdm

        self.tqdm = tqdm
        self.bar = None
        self.shown = 0.0  # when the loss was last shown
        self.epochs = epochs

    def label(self, epoch: int, of: str = "/") -> str:
        """ "epoch 3/20", or "epoch 3" when the time budget ends the run."""
        return f"epoch {epoch}" + (f"{of}{self.epochs}" if self.epochs else "")

    def on_batch(self, info) -> None:
        if self.bar is None or info.batch == 1:
            if self.bar is not None:
                self.bar.close()
            self.bar = self.tqdm(
                total=info.batches,
                desc=self.label(info.epoch),
                file=sys.stderr,
                leave=False,
                mininterval=0.5,
                dynamic_ncols=True,
            )
        self.bar.update(1)
        now = time.monotonic()
        if now - self.shown >= 0.5 or info.batch == info.batches:  # reading the loss waits for a GPU's step
            self.shown = now
            self.bar.set_postfix(loss=f"{info.loss:.4g}", eta=f"{info.eta:.0f}s", refresh=False)

    def on_epoch(self, info) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        mark = " *" if info["best"] else ""
        print(
            f"{self.label(info['epoch'])}  train {info['train']['loss']:.4f}  val {info['val']['loss']:.4f}"
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
