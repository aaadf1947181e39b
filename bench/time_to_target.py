"""Seconds of training until test reconstruction error reaches a fixed target.

    python bench/time_to_target.py [--threads 2]

For each case, trains with the default settings and checks the test set's summed squared error
per sample after every epoch; prints the first epoch and time at which it is at or below the
target.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

from ae_core import build_model
from ae_core.data import load_dataset
from ae_core.models.metrics import evaluate
from ae_core.train.loop import fit

CASES = [
    # dataset, model, latent_dim, target test SSE per sample
    ("digits", "conv", 8, 1.5),
    ("digits", "deep", 8, 1.5),
    ("shapes", "conv", 8, 10.0),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-minutes", type=float, default=5.0)
    args = parser.parse_args()
    for spec, name, latent_dim, target in CASES:
        data = load_dataset(spec)
        model = build_model(name, data.shape, latent_dim, seed=0)
        stop, reached = threading.Event(), {}
        eval_seconds = [0.0]

        def on_epoch(
            info, model=model, data=data, target=target, stop=stop, reached=reached, eval_seconds=eval_seconds
        ):
            start = time.perf_counter()
            sse = evaluate(model, data.x_test)["sse_per_sample"]
            eval_seconds[0] += time.perf_counter() - start
            if sse <= target and not reached:
                reached.update(epoch=info.epoch, seconds=round(info.elapsed - eval_seconds[0], 2), sse=round(sse, 3))
                stop.set()

        result = fit(
            model,
            data.x_train,
            epochs=10_000,
            lr=3e-3,
            batch_size=64,
            max_minutes=args.max_minutes,
            threads=args.threads,
            stop_event=stop,
            on_epoch=on_epoch,
        )
        print(
            json.dumps(
                {
                    "dataset": spec,
                    "model": name,
                    "latent_dim": latent_dim,
                    "target_sse": target,
                    "reached": bool(reached),
                    **reached,
                    "epochs_run": result.epochs_run,
                }
            )
        )


if __name__ == "__main__":
    main()
