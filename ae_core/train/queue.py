"""Background training: one queue of runs for the whole deployment, with live progress.

Every ``TrainingQueue`` over the same store (``job_store``: SQLite beside the models folder, or
Redis) sees the same runs, in any process, on any machine: each browser's place in the queue, the
live progress of a run, and Stop from anywhere. One Huey consumer (``consumer``) executes them,
``max_running`` at a time (one on a 2-core machine), each in its own niced process (``worker``).
``scripts/serve.sh`` runs that consumer; for one person the app starts it when none is running.
A run whose consumer dies is marked failed; its best epoch is already saved, atomically.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ae_core.checkpoints.library import check_model_name, claim_model
from ae_core.train.consumer import default_max_running, lost_message
from ae_core.train.job_store import JobStore
from ae_core.train.kinds import MODEL_KIND, describe, read_request
from ae_core.train.request import TrainingRequest
from ae_core.train.runtime import available_cores
from ae_core.train.worker import ROOT, training_task

STATES = ("queued", "running", "finished", "stopped", "failed")
FRESH_SECONDS = 0.2  # a Job re-reads its record at most this often


class Job:
    """One queued or running training: a live view of its record in the shared store.

    The record is read again at most every 0.2 seconds.

    Parameters
    ----------
    queue : TrainingQueue
        The queue it belongs to.
    record : dict
        Its record as stored (``id``, ``name``, ``kind``, ``request``, ``out``, ``owner``, ``submitted``, ...).
    """

    def __init__(self, queue: TrainingQueue, record: dict[str, Any]):
        self.id: int = record["id"]
        self.name: str = record["name"]
        self.kind: str = record.get("kind", MODEL_KIND)
        self.request = read_request(record)  # a TrainingRequest, or another kind's request (``kinds``)
        self.out = Path(record["out"])
        self.owner: str = record["owner"]
        self.submitted: float = record["submitted"]
        self._queue, self._record, self._read_at = queue, record, time.monotonic()
        self._history: tuple[int, list] = (0, [])
        self._preview: tuple[int, Any] = (0, None)
        self._maps: list[dict[str, Any]] = []

    def _fresh(self) -> dict[str, Any]:
        if time.monotonic() - self._read_at > FRESH_SECONDS:
            self._seen(self._queue.store.record(self.id) or self._record)
        return self._record

    def _seen(self, record: dict[str, Any]) -> None:
        self._record, self._read_at = self._queue.check_alive(record), time.monotonic()

    state = property(lambda self: self._fresh()["state"])
    started = property(lambda self: self._fresh().get("started"))
    ended = property(lambda self: self._fresh().get("ended"))
    batch = property(lambda self: self._fresh().get("batch") or {})  # the latest batch's numbers
    summary = property(lambda self: self._fresh().get("summary"))
    error = property(lambda self: self._fresh().get("error"))

    @property
    def history(self) -> list[dict[str, Any]]:
        """One row per epoch."""
        epochs = self._fresh().get("epochs", 0)
        if epochs != self._history[0]:
            self._history = (epochs, self._queue.store.live(self.id, "history") or [])
        return self._history[1]

    @property
    def preview(self):
        """Inputs and reconstructions after the latest epoch."""
        epochs = self._fresh().get("epochs", 0)
        if epochs != self._preview[0]:
            data = self._queue.store.live(self.id, "preview")
            self._preview = (epochs, None if data is None else data["preview"].astype(np.float32))
        return self._preview[1]

    @property
    def maps(self) -> list[dict[str, Any]]:
        """Latent-map snapshots; each is read from the store once."""
        for n in range(len(self._maps), self._fresh().get("maps", 0)):
            snapshot = self._queue.store.live(self.id, f"map:{n}")
            self._maps.append({"epoch": int(snapshot.pop("epoch")), **snapshot})
        return self._maps

    @property
    def active(self) -> bool:
        """Whether the run is queued or running."""
        return self.state in ("queued", "running")

    @property
    def progress(self) -> float:
        """Fraction done, from epochs and batches (0 while queued)."""
        if self.state in ("finished", "stopped"):
            return 1.0
        b = self.batch
        if not b:
            return 0.0
        return min(1.0, ((b["epoch"] - 1) + b["batch"] / b["batches"]) / self.request.epochs)

    def __eq__(self, other) -> bool:
        return isinstance(other, Job) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


class TrainingQueue:
    """Queues ``TrainingRequest``s in the store shared by every process of a deployment.

    Parameters
    ----------
    models_dir : str or Path
        Where runs save their models (and, beside it, the SQLite store).
    max_running : int, optional
        Runs at once; the consumer's worker count (default ``default_max_running()``).
    threads : int, optional
        Torch threads of each training process (default: all cores but one, at least 1).
    nice : int, default 10
        OS priority of each training process (higher yields to the app).
    store : JobStore, optional
        The store to use (default: ``JobStore(models_dir)``).
    autostart : bool, optional
        Start a consumer when none is alive (default: unless ``$LATENT_LAB_QUEUE_CONSUMER`` is
        ``external``, as under ``scripts/serve.sh``, or Redis is used).
    stale_after : float, default 20.0
        Seconds without a sign of life after which a running run is marked failed.
    """

    def __init__(
        self,
        models_dir: str | Path,
        max_running: int | None = None,
        threads: int | None = None,
        nice: int = 10,
        *,
        store: JobStore | None = None,
        autostart: bool | None = None,
        stale_after: float = 20.0,
    ):
        self.models_dir = Path(models_dir)
        self.max_running = max_running or default_max_running()
        self.threads = threads or max(1, available_cores() - 1)
        self.nice = nice  # OS priority of training processes (higher = yields to the app)
        self.store = store or JobStore(self.models_dir)
        if autostart is None:
            autostart = os.environ.get("LATENT_LAB_QUEUE_CONSUMER", "auto") != "external"
            autostart = autostart and self.store.lock_file is not None
        self.autostart, self.stale_after = autostart, stale_after
        training_task(self.store)  # one task per store, however many queues share it
        self._listing: tuple[float, list[dict[str, Any]]] = (-1.0, [])
        self._jobs: dict[int, Job] = {}
        self._consumer: subprocess.Popen | None = None
        self._checked_consumer = 0.0

    def submit(self, name: str, request, owner: str = "", out: str | Path | None = None) -> Job:
        """Validate and queue a run; raises ValueError for a bad name or setting.

        A model's run (a ``TrainingRequest``) claims its model name for ``owner``. A run of another
        kind (``kinds``: a recommender's) saves into ``out``; while a run for the same ``out`` is
        queued or running, that run is returned instead of a second one. A consumer is started if
        none is alive.

        Parameters
        ----------
        name : str
            The name of the model it will save (a new, unused model name); for another kind, its
            label in the table of runs.
        request : TrainingRequest or another registered request
        owner : str, default ""
            The submitting browser's id; it alone (or the teacher) may then rename or delete the model.
        out : str or Path, optional
            Where a run of another kind than a model's saves (required for those, unused for models).

        Returns
        -------
        Job
            The queued run (or the one already queued for ``out``).

        Raises
        ------
        ValueError
            If the name is not allowed, taken or already being trained, or the request is not valid.
        """
        model_run = isinstance(request, TrainingRequest)
        if model_run:
            name = check_model_name(name, self.models_dir)
            if name in self.training_names():
                raise ValueError(f"a training named {name!r} is already queued or running")
            out = self.models_dir / name
        elif out is None:
            raise ValueError(f"a queued run of kind {request.kind!r} needs the folder it saves into")
        else:
            same = next((j for j in self.jobs() if j.active and j.out == Path(out)), None)
            if same is not None:
                return same
        request.check()
        record = {
            "id": self.store.new_id(),
            "name": name,
            "owner": owner,
            **describe(request),
            "out": str(out),
            "threads": self.threads,
            "nice": self.nice,
            "state": "queued",
            "submitted": time.time(),
        }
        if model_run:
            claim_model(name, owner, self.models_dir)  # only this browser (or the teacher) may rename or delete it
        self.store.put(record)
        self.store.train(record["id"])
        self._listing = (-1.0, [])
        self.ensure_consumer(force=True)
        return self._job(record)

    def jobs(self) -> list[Job]:
        """Every run in the store, oldest first, read afresh.

        When a run is queued, ``ensure_consumer`` is called, so a dead consumer gets replaced.

        Returns
        -------
        list of Job
        """
        found = [self._job(record) for record in self._records(fresh=True)]
        if any(j.state == "queued" for j in found):
            self.ensure_consumer()
        return found

    def get(self, job_id: int) -> Job | None:
        """A run by id, read afresh from the store.

        Parameters
        ----------
        job_id : int

        Returns
        -------
        Job or None
            None when there is no such run.
        """
        return next((j for j in self.jobs() if j.id == job_id), None)

    def place(self, job: Job) -> int:
        """1 for the next run to start, 2 after it...; 0 when not waiting.

        Parameters
        ----------
        job : Job

        Returns
        -------
        int
        """
        waiting = [r["id"] for r in self._records() if r["state"] == "queued"]
        return waiting.index(job.id) + 1 if job.id in waiting else 0

    def training_names(self) -> set[str]:
        """Models being written right now (not to be renamed or deleted).

        Returns
        -------
        set of str
            The names of the queued and running runs of models.
        """
        return {j.name for j in self.jobs() if j.active and j.kind == MODEL_KIND}

    def stop(self, job: Job) -> None:
        """A queued run is dropped; a running one stops after its current batch and keeps its best epoch.

        Parameters
        ----------
        job : Job
        """
        self.store.request_stop(job.id)
        record = self.store.record(job.id)
        if record is not None and record["state"] == "queued":
            self.store.update(job.id, state="stopped", ended=time.time())
        job._read_at, self._listing = 0.0, (-1.0, [])

    def wait(self, job: Job, timeout: float | None = None) -> bool:
        """Block until the job has ended (for scripts and tests); False on timeout.

        Parameters
        ----------
        job : Job
        timeout : float, optional
            Seconds; None waits as long as it takes.

        Returns
        -------
        bool
            True once the job is neither queued nor running.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while job.active:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)
            self.ensure_consumer()
        return True

    def check_alive(self, record: dict[str, Any]) -> dict[str, Any]:
        """A running record without a sign of life for ``stale_after`` seconds: its consumer died.

        Such a record is marked "failed" in the store.

        Parameters
        ----------
        record : dict
            A run's record.

        Returns
        -------
        dict
            The record, updated if it was marked failed.
        """
        if record["state"] == "running" and time.time() - record.get("beat", 0) > self.stale_after:
            lost = lost_message(record)
            record = self.store.update(record["id"], state="failed", error=lost, ended=time.time()) or record
        return record

    def ensure_consumer(self, force: bool = False) -> None:
        """Start a consumer (a child process) when none has shown a sign of life lately. The
        consumer takes a lock file first, so several app processes never run two.

        Does nothing unless ``autostart``; checks at most every 2 seconds unless ``force``. A consumer
        counts as alive if its last sign of life is under 6 seconds old.

        Parameters
        ----------
        force : bool, default False
            Check now even if checked within the last 2 seconds.
        """
        if not self.autostart or (not force and time.monotonic() - self._checked_consumer < 2.0):
            return
        self._checked_consumer = time.monotonic()
        alive = self.store.consumer()
        if (alive and time.time() - alive["at"] < 6.0) or (self._consumer and self._consumer.poll() is None):
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "ae_core.train.consumer", "--models", str(self.models_dir)]
        command += ["--workers", str(self.max_running), "--parent", str(os.getpid())]
        self._consumer = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def close(self) -> None:
        """Stop the consumer this object started, if any (its running run stops after its batch)."""
        if self._consumer is not None and self._consumer.poll() is None:
            self._consumer.terminate()
            self._consumer.wait(timeout=10)

    def _records(self, fresh: bool = False) -> list[dict[str, Any]]:
        """Every record, read again unless read within ``FRESH_SECONDS`` (a table asks for many places)."""
        if fresh or time.monotonic() - self._listing[0] > FRESH_SECONDS:
            self._listing = (time.monotonic(), self.store.records())
        return self._listing[1]

    def _job(self, record: dict[str, Any]) -> Job:
        job = self._jobs.get(record["id"])
        if job is None:
            job = self._jobs[record["id"]] = Job(self, record)
        job._seen(record)
        return job
