"""The child process of a queued training run (``python -m ae_core.train.worker``).

It reads the run from the first line of stdin, trains, and reports progress as JSON lines on
stdout. "stop" on stdin -- or stdin closing because the app is gone -- stops the run after the
current batch; its best epoch is saved either way.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from ae_core.train.request import TrainingRequest, run_training


def worker_main() -> None:
    """Run the training described on stdin's first line (see the module's docstring)."""
    setup = json.loads(sys.stdin.readline())
    os.chdir(setup.get("cwd", os.getcwd()))  # the app's folder: relative paths in the request are its
    if hasattr(os, "nice"):
        os.nice(setup.get("nice", 0))  # below the app: a click in the explorer beats a training step
    stop = threading.Event()
    threading.Thread(target=_watch_stdin, args=(stop,), daemon=True).start()
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write on the progress channel
    last = [0.0]

    def send(kind: str, payload) -> None:
        out.write(json.dumps([kind, payload], default=_jsonable) + "\n")
        out.flush()

    def on_batch(info) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25 or info.batch == info.batches:
            last[0] = now
            send("batch", {k: getattr(info, k) for k in ("epoch", "batch", "batches", "loss", "elapsed", "eta")})

    try:
        summary = run_training(
            TrainingRequest.from_dict(setup["request"]),
            setup["out"],
            threads=setup["threads"],
            stop_event=stop,
            on_batch=on_batch,
            on_epoch=lambda event: send("epoch", event),
        )
        send("done", summary)
    except Exception as exc:  # reported to the page as one line
        send("failed", " ".join(str(exc).split()) or type(exc).__name__)


def _watch_stdin(stop: threading.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop.set()


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot send {type(value).__name__}")


if __name__ == "__main__":
    worker_main()
