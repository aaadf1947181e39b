"""Trainer throughput against a bare torch loop on the same model, data and batch size.

    python bench/trainer_throughput.py [--model conv] [--epochs 3] [--threads 2] [--device cuda] [--batch-size 1024]
                                       [--precision bfloat16]

Prints samples/second for both and their ratio (goal: >= 1.0 on CPU, >= 0.9 on a GPU at batch
1024). On an accelerator the bare loop keeps the data on the device and both are timed to the
last kernel (``synchronize``). ``--precision bfloat16`` runs both under the same bfloat16
autocast (compare its samples/s with float32's for what mixed precision gains on this machine).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from ae_core import build_model
from ae_core.train.loop import fit
from ae_core.train.runtime import resolve_device, set_threads
from ae_core.train.settings import PRECISIONS


def bare_loop(
    model, x: torch.Tensor, epochs: int, batch_size: int, lr: float, device: torch.device, precision: str
) -> float:
    model.to(device)
    x = x.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    _synchronize(device)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), device=device)
        for i in range(0, len(x), batch_size):
            with torch.autocast(device.type, torch.bfloat16, enabled=precision == "bfloat16"):
                loss = model.training_loss(x[order[i : i + batch_size]])["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    _synchronize(device)
    return time.perf_counter() - start


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="conv")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS)
    args = parser.parse_args()
    threads = set_threads(args.threads)
    device = resolve_device(args.device)
    x = torch.rand(args.samples, 1, 28, 28)
    # fit holds out 10% for validation; give the bare loop the same number of training samples.
    n_train = args.samples - round(args.samples * 0.1)
    bare, ours = [], []
    for repeat in range(args.repeats):
        model = build_model(args.model, (1, 28, 28), 30, seed=repeat)
        seconds = bare_loop(model, x[:n_train], args.epochs, args.batch_size, 1e-3, device, args.precision)
        bare.append(n_train * args.epochs / seconds)
        model = build_model(args.model, (1, 28, 28), 30, seed=repeat)
        start = time.perf_counter()
        result = fit(
            model,
            x,
            epochs=args.epochs,
            batch_size=args.batch_size,
            threads=threads,
            seed=repeat,
            device=args.device,
            precision=args.precision,
        )
        _synchronize(device)
        # Validation passes are part of what fit does; count only the training time against the bare loop.
        val_seconds = sum(_val_seconds(model, x[n_train:], args.batch_size, device) for _ in range(args.epochs))
        ours.append(n_train * args.epochs / (time.perf_counter() - start - val_seconds))
        del result
    print(
        json.dumps(
            {
                "model": args.model,
                "device": str(device),
                "threads": threads,
                "batch_size": args.batch_size,
                "precision": args.precision,
                "bare_samples_per_s": round(float(np.median(bare)), 1),
                "fit_samples_per_s": round(float(np.median(ours)), 1),
                "ratio": round(float(np.median(ours) / np.median(bare)), 3),
            }
        )
    )


def _val_seconds(model, x_val, batch_size, device) -> float:
    from ae_core.train.loop import evaluate_loss

    start = time.perf_counter()
    evaluate_loss(model, x_val, batch_size, device)
    _synchronize(device)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
