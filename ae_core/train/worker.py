"""One queued run, executed for the queue's consumer: the training in its own process, its progress
relayed into the shared store, and Stop read from it.

A fresh interpreter trains (not the consumer itself, not multiprocessing): it is niced below the
app, gets its own thread count, and hands its memory back when the run ends. It reports JSON lines
on stdout; "stop" on its stdin -- or stdin closing because the consumer is gone -- stops it after
the current batch. Its best epoch is saved atomically either way.
"""

from __future__ import annotations

import json
import os
import queue as stdlib_queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ae_core.train.job_store import JobStore
from ae_core.train.kinds import MODEL_KIND, read_request

ROOT = Path(__file__).resolve().parents[2]
BEAT_SECONDS = 1.0  # how often a running job's record says it is alive


def start_worker(setup: dict) -> subprocess.Popen:
    """The training process for one run, told what to do on its first stdin line.

    Parameters
    ----------
    setup : dict
        ``kind``, ``module``, ``request``, ``out``, ``threads`` and ``nice`` of the run's record, sent
        as JSON with this process's working folder.

    Returns
    -------
    subprocess.Popen
        With text pipes to its stdin and from its stdout (JSON progress lines).
    """
    # A fresh interpreter, not multiprocessing: the parent's threads and locks must not be forked.
    # Started in the folder that holds ``ae_core`` (a checkout or site-packages), so ``-m`` finds it
    # without PYTHONPATH; it then moves to this process's folder, so relative paths mean the same.
    process = subprocess.Popen(
        [sys.executable, "-m", "ae_core.train.worker"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    process.stdin.write(json.dumps({**setup, "cwd": os.getcwd()}) + "\n")
    process.stdin.flush()
    return process


def training_task(store: JobStore):
    """The store's Huey task that runs a queued job (``run_job``), registered once per store
    however many queues share it; calling it with a job id queues that job.

    Parameters
    ----------
    store : JobStore

    Returns
    -------
    huey.api.TaskWrapper
    """
    if not hasattr(store, "train"):
        store.train = store.huey.task(name="latent_lab.train")(lambda job_id: run_job(store, job_id))
    return store.train


def run_job(store: JobStore, job_id: int) -> None:
    """The consumer's task: train the run ``job_id`` unless it was stopped while it waited.

    Relays the worker's progress into the store (batches, epochs, previews, maps, signs of life),
    passes a stop request on, and records how the run ended ("finished", "stopped" or "failed").

    Parameters
    ----------
    store : JobStore
    job_id : int
    """
    record = store.record(job_id)
    if record is None or record["state"] != "queued":
        return
    if store.stop_requested(job_id):
        store.update(job_id, state="stopped", ended=time.time())
        return
    setup = {k: record[k] for k in ("request", "out", "threads", "nice")}
    process = start_worker({**setup, "kind": record.get("kind", MODEL_KIND), "module": record.get("module", "")})
    now = time.time()
    store.update(job_id, state="running", started=now, beat=now, pid=process.pid)
    lines: stdlib_queue.SimpleQueue = stdlib_queue.SimpleQueue()
    threading.Thread(target=lambda: [*map(lines.put, process.stdout), lines.put(None)], daemon=True).start()
    history: list[dict] = []
    maps, beat, stop_sent = 0, now, False
    while True:
        try:
            line = lines.get(timeout=0.25)
        except stdlib_queue.Empty:
            line = ""
        if line is None:
            code = process.wait()
            return _finish(store, job_id, "failed", error=f"the training process ended unexpectedly (exit code {code})")
        if not stop_sent and store.stop_requested(job_id):
            stop_sent = _send_stop(process)
        try:
            kind, payload = json.loads(line) if line else ("", None)
        except ValueError:
            continue
        if kind == "batch":
            beat = time.time()
            store.update(job_id, batch=payload, beat=beat)
        elif kind == "epoch":
            preview = payload.pop("preview", None)  # a model's reconstructions (other kinds send none)
            if preview is not None:
                store.put_live(job_id, "preview", {"preview": preview})
            snapshot = payload.pop("map", None)
            if snapshot is not None:
                store.put_live(job_id, f"map:{maps}", {"epoch": payload["epoch"], **snapshot})
                maps += 1
            history.append(payload)
            store.put_live(job_id, "history", history)
            beat = time.time()
            store.update(job_id, epochs=len(history), maps=maps, beat=beat)
        elif kind in ("done", "failed"):
            if kind == "failed":
                _finish(store, job_id, "failed", error=payload)
            else:
                _finish(store, job_id, "stopped" if payload.get("stopped") == "stop_event" else "finished", payload)
            # Recorded first: on a busy machine the process takes seconds to exit (torch's teardown),
            # silent, long enough for a reader to take the run for lost and mark it failed.
            process.wait()
            return
        elif time.time() - beat >= BEAT_SECONDS:
            beat = time.time()
            store.update(job_id, beat=beat)


def _send_stop(process: subprocess.Popen) -> bool:
    try:
        process.stdin.write("stop\n")
        process.stdin.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass
    return True


def _finish(store: JobStore, job_id: int, state: str, summary=None, error=None) -> None:
    store.update(job_id, state=state, summary=summary, error=error, ended=time.time())


def worker_main() -> None:
    """The training process: read the run from the first stdin line, train, and report progress
    as JSON lines on stdout."""
    setup = json.loads(sys.stdin.readline())
    os.chdir(setup.get("cwd", os.getcwd()))  # the app's folder: relative paths in the request are its
    if hasattr(os, "nice"):
        os.nice(setup.get("nice", 0))  # below the app: a click in the explorer beats a training step
    stop = threading.Event()
    threading.Thread(target=_watch_stdin, args=(stop,), daemon=True).start()
    # Ctrl-C on the app reaches its whole process group: end after the batch, as Stop does.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write on the progress channel
    last = [0.0]

    def send(kind: str, payload) -> None:
        try:
            out.write(json.dumps([kind, payload], default=_jsonable) + "\n")
            out.flush()
        except OSError:  # the consumer is gone: end after this batch, keeping the best epoch
            stop.set()

    def on_batch(info) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25 or info.batch == info.batches:  # at most 4 progress writes a second
            last[0] = now
            send("batch", {k: getattr(info, k) for k in ("epoch", "batch", "batches", "loss", "elapsed", "eta")})

    try:
        summary = read_request(setup).run(
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
