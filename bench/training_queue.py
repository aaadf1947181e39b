"""The shared training queue's latencies: submit -> the consumer starts the run, a batch written
by the run -> seen by another process's queue, Stop pressed in another process -> the run ended.
"Started" is the consumer launching the training process; its first batch comes after that process
has imported torch and loaded the data.

    python bench/training_queue.py [--runs 3] [--redis URL]

Starts its own consumer over a temporary models folder (SQLite) or the given Redis, trains small
digits models and prints the medians and maxima of each latency over the runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from ae_core.train.job_store import JobStore
from ae_core.train.queue import TrainingQueue
from ae_core.train.request import TrainingRequest
from ae_core.train.settings import TrainingSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--redis", default=None, help="a Redis URL (then start a consumer yourself)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="latent-lab-queue-bench-")
    store = JobStore(folder, redis_url=args.redis)
    queue = TrainingQueue(folder, max_running=1, threads=1, store=store)
    watcher = TrainingQueue(folder, max_running=1, autostart=False, store=JobStore(folder, redis_url=args.redis))
    start = time.time()
    queue.ensure_consumer(force=True)
    while store.consumer() is None:
        time.sleep(0.05)
    print(f"consumer up after {time.time() - start:.2f} s")
    to_start, to_batch, to_see, to_stop = [], [], [], []
    for n in range(args.runs):
        submitted = time.time()
        job = queue.submit(
            f"run{n}", TrainingRequest("digits", "conv", 8, settings=TrainingSettings(epochs=500, batch_size=32))
        )
        seen = watcher.get(job.id)
        while seen._fresh()["state"] == "queued":
            seen._read_at = 0.0
            time.sleep(0.005)
        to_start.append(seen.started - submitted)  # the consumer took it and launched the process
        last = None
        for _ in range(20):  # 20 batch updates, each read as soon as it is in the store
            while True:
                seen._read_at = 0.0
                record = seen._fresh()
                if record.get("batch") and record["batch"] != last:
                    break
                time.sleep(0.002)
            if last is None:
                to_batch.append(record["beat"] - submitted)
            else:
                to_see.append(time.time() - record["beat"])
            last = record["batch"]
        pressed = time.time()
        watcher.stop(seen)
        queue.wait(job)
        to_stop.append(job.ended - pressed)
    queue.close()
    for label, values in (
        ("submit -> run started (s)", to_start),
        ("submit -> first batch (s)", to_batch),
        ("batch written -> read elsewhere (ms)", [1000 * v for v in to_see]),
        ("Stop elsewhere -> run ended (s)", to_stop),
    ):
        print(f"{label}: median {statistics.median(values):.3f}, max {max(values):.3f} ({len(values)} samples)")


if __name__ == "__main__":
    main()
