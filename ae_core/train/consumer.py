"""The one Huey consumer of a deployment's training queue: ``python -m ae_core.train.consumer``.

It takes a lock file beside the SQLite store (so two never run on one machine: a second one exits,
or with ``--wait`` waits its turn), marks the runs a dead predecessor left "running" as failed,
says it is alive every two seconds, and executes queued runs ``--workers`` at a time.
Started by ``scripts/serve.sh`` (restarted if it dies) or, for one person, by the app itself
(``--parent``: it then ends once that process is gone and nothing is queued or running).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import threading
import time

from ae_core.system.cores import available_cores
from ae_core.system.paths import user_models_dir
from ae_core.train.job_store import JobStore
from ae_core.train.kinds import MODEL_KIND
from ae_core.train.worker import training_task

# Nothing here (nor in what it imports) loads torch: each run trains in its own process
# (ae_core.train.worker), and the consumer stays a small process (tests/test_shared_queue.py).
KEEP_SECONDS = 24 * 3600  # ended runs older than this leave the table
CONSUMER_LOST = "the training worker stopped while this run was training; its best epoch so far is saved"
RUN_LOST = "the training worker stopped while this run was training; nothing of it was saved"


def lost_message(record: dict) -> str:
    """The one line a run whose consumer died is marked failed with: a model keeps its best epoch,
    other kinds of run (a recommender) save only once they are done.

    Parameters
    ----------
    record : dict
        The run's record.

    Returns
    -------
    str
    """
    return CONSUMER_LOST if record.get("kind", MODEL_KIND) == MODEL_KIND else RUN_LOST


def default_max_running() -> int:
    """How many runs train at once: one below 8 cores (a run uses all but one core and the app
    keeps one), a quarter of the cores above; ``$LATENT_LAB_MAX_TRAININGS`` overrides it.

    Returns
    -------
    int
        At least 1.
    """
    override = os.environ.get("LATENT_LAB_MAX_TRAININGS")
    if override:
        return max(1, int(override))
    return max(1, available_cores() // 4)


def main(argv: list[str] | None = None) -> None:
    """Run the consumer until it is stopped (or, with ``--parent``, until that process is gone and all is idle).

    Returns at once, doing nothing, when another consumer holds the lock and ``--wait`` is not given.
    Before serving, runs left "running" are marked failed and ended runs older than a day are forgotten.

    Parameters
    ----------
    argv : list of str, optional
        ``--models``, ``--workers``, ``--wait``, ``--parent``; ``sys.argv[1:]`` when None.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="the models folder (default: the data folder's)")
    parser.add_argument("--workers", type=int, default=None, help="runs at once (default: 1 below 8 cores)")
    parser.add_argument("--wait", action="store_true", help="wait for the lock instead of exiting")
    parser.add_argument("--parent", type=int, default=None, help="end when this process is gone and all is idle")
    args = parser.parse_args(argv)
    store = JobStore(args.models or user_models_dir())
    training_task(store)  # the task the app's processes queue, registered under the same name
    if store.lock_file is not None:
        lock = open(store.lock_file, "a")  # noqa: SIM115 -- held for the life of the process
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if args.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return  # another consumer serves this store
    now = time.time()
    for record in store.records():
        if record["state"] == "running":  # its consumer died mid-run; the best epoch is on disk
            store.update(record["id"], state="failed", error=lost_message(record), ended=now)
        elif record["state"] not in ("queued", "running") and now - (record.get("ended") or now) > KEEP_SECONDS:
            store.forget(record["id"], record.get("maps", 0))
    store.beat(os.getpid())
    threading.Thread(target=_keep_beating, args=(store, args.parent), daemon=True).start()
    consumer = store.huey.create_consumer(
        workers=args.workers or default_max_running(),
        worker_type="thread",  # each run trains in its own process (ae_core.train.worker)
        periodic=False,
        initial_delay=0.05,
        backoff=1.5,
        max_delay=0.5,  # a new run starts within half a second of being queued
    )
    consumer.run()


def _keep_beating(store: JobStore, parent: int | None) -> None:
    while True:
        time.sleep(2.0)
        store.beat(os.getpid())
        if parent is not None and os.getppid() != parent:
            if not any(r["state"] in ("queued", "running") for r in store.records()):
                os.kill(os.getpid(), signal.SIGTERM)  # Huey's immediate shutdown
                return


if __name__ == "__main__":
    main()
