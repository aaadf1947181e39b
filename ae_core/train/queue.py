"""Background training: a queue of runs, each in its own process, with live progress.

A training run in a separate process keeps the app responsive (no shared GIL, no shared torch
thread pool) and can be stopped within one batch through an event. Only ``max_running`` runs
train at once (one on a 2-core machine); the rest wait in order and know their place.
A run whose parent disappears (the server was restarted) stops itself after the current batch;
its best epoch is already saved, atomically.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ae_core.checkpoints.library import check_model_name, claim_model
from ae_core.train.request import TrainingRequest, check_request
from ae_core.train.runtime import available_cores

ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the ae_core package
STATES = ("queued", "running", "finished", "stopped", "failed")


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


@dataclass
class Job:
    """One queued or running training, updated by the queue as progress arrives."""

    id: int
    name: str
    request: TrainingRequest
    out: Path
    owner: str = ""
    state: str = "queued"
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    batch: dict[str, Any] = field(default_factory=dict)  # the latest batch's numbers
    history: list[dict[str, Any]] = field(default_factory=list)  # one row per epoch
    preview: Any = None  # inputs and reconstructions after the latest epoch
    maps: list[dict[str, Any]] = field(default_factory=list)  # latent-map snapshots
    summary: dict[str, Any] | None = None
    error: str | None = None
    _process: Any = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def progress(self) -> float:
        """Fraction done, from epochs and batches (0 while queued)."""
        if self.state in ("finished", "stopped"):
            return 1.0
        if not self.batch:
            return 0.0
        b = self.batch
        return min(1.0, ((b["epoch"] - 1) + b["batch"] / b["batches"]) / self.request.settings.epochs)


class TrainingQueue:
    """Runs ``TrainingRequest``s in child processes, at most ``max_running`` at a time.

    Parameters
    ----------
    models_dir : path
        Where each run saves its model, in a folder named after it.
    max_running : int, optional
        Runs training at once (default ``default_max_running()``).
    threads : int, optional
        torch CPU threads of each run (default all cores but one).
    nice : int
        OS priority of the training processes (higher yields to the app).
    """

    def __init__(
        self, models_dir: str | Path, max_running: int | None = None, threads: int | None = None, nice: int = 10
    ):
        self.models_dir = Path(models_dir)
        self.max_running = max_running or default_max_running()
        self.threads = threads or max(1, available_cores() - 1)
        self.nice = nice  # OS priority of training processes (higher = yields to the app)
        self._jobs: list[Job] = []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    def submit(self, name: str, request: TrainingRequest, owner: str = "") -> Job:
        """Check and queue a run; it starts at once if a place is free.

        Parameters
        ----------
        name : str
            The model's name (its folder in ``models_dir``).
        request : TrainingRequest
        owner : str
            Who may rename or delete the model afterwards (a browser id; "" for anyone).

        Returns
        -------
        Job
            The queued (or already running) job.

        Raises
        ------
        ValueError
            For a name that is taken or not allowed, or a bad setting in ``request``.
        """
        with self._lock:
            name = check_model_name(name, self.models_dir)
            if any(j.name == name and j.active for j in self._jobs):
                raise ValueError(f"a training named {name!r} is already queued or running")
            check_request(request)
            job = Job(next(self._ids), name, request, self.models_dir / name, owner)
            claim_model(name, owner, self.models_dir)  # only this browser (or the teacher) may rename or delete it
            self._jobs.append(job)
            self._schedule()
            return job

    def jobs(self) -> list[Job]:
        with self._lock:
            self._schedule()
            return list(self._jobs)

    def get(self, job_id: int) -> Job | None:
        return next((j for j in self.jobs() if j.id == job_id), None)

    def place(self, job: Job) -> int:
        """1 for the next run to start, 2 after it...; 0 when not waiting."""
        with self._lock:
            waiting = [j for j in self._jobs if j.state == "queued"]
            return waiting.index(job) + 1 if job in waiting else 0

    def training_names(self) -> set[str]:
        """Models being written right now (not to be renamed or deleted)."""
        return {j.name for j in self.jobs() if j.active}

    def stop(self, job: Job) -> None:
        """A queued run is dropped; a running one stops after its current batch and keeps its best epoch."""
        with self._lock:
            if job.state == "queued":
                job.state, job.ended = "stopped", time.time()
            elif job.state == "running" and job._process is not None and job._process.poll() is None:
                try:
                    job._process.stdin.write("stop\n")
                    job._process.stdin.flush()
                except (BrokenPipeError, ValueError):
                    pass
            self._schedule()

    def wait(self, job: Job, timeout: float | None = None) -> bool:
        """Block until the job has ended (for scripts and tests); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while job.active:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)
            self._schedule()
        return True

    def _schedule(self) -> None:
        with self._lock:
            running = sum(j.state == "running" for j in self._jobs)
            for job in self._jobs:
                if running >= self.max_running:
                    break
                if job.state == "queued":
                    self._start(job)
                    running += 1

    def _start(self, job: Job) -> None:
        # A fresh interpreter, not multiprocessing: the server's main module (streamlit) must not
        # be re-imported, and its threads and locks must not be forked. Started in the folder that
        # holds ``ae_core`` (a checkout or site-packages), so ``-m`` finds it without PYTHONPATH; the
        # worker then moves to this process's folder, so relative paths mean the same there.
        job._process = subprocess.Popen(
            [sys.executable, "-m", "ae_core.train.worker"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        setup = {
            "request": job.request.as_dict(),
            "out": str(job.out),
            "threads": self.threads,
            "nice": self.nice,
            "cwd": os.getcwd(),
        }
        job._process.stdin.write(json.dumps(setup) + "\n")
        job._process.stdin.flush()
        job.state, job.started = "running", time.time()
        threading.Thread(target=self._listen, args=(job,), daemon=True).start()

    def _listen(self, job: Job) -> None:
        for line in job._process.stdout:
            try:
                kind, payload = json.loads(line)
            except ValueError:
                continue
            if kind == "batch":
                job.batch = payload
            elif kind == "epoch":
                job.preview = np.asarray(payload.pop("preview"), np.float32)
                snapshot = payload.pop("map", None)
                if snapshot is not None:
                    job.maps.append({"epoch": payload["epoch"], **snapshot})
                job.history.append(payload)
            elif kind == "done":
                stopped = payload.get("stopped") == "stop_event"
                return self._finish(job, "stopped" if stopped else "finished", summary=payload)
            elif kind == "failed":
                return self._finish(job, "failed", error=payload)
        code = job._process.wait()
        self._finish(job, "failed", error=f"the training process ended unexpectedly (exit code {code})")

    def _finish(self, job: Job, state: str, summary=None, error=None) -> None:
        with self._lock:
            job.state, job.summary, job.error, job.ended = state, summary, error, time.time()
            try:
                job._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                job._process.kill()
            self._schedule()
