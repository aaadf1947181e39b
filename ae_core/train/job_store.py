"""Where the training queue keeps its runs, so that every process of a deployment sees the same ones.

A Huey queue (https://huey.readthedocs.io) holds the runs waiting for the consumer; Huey's
key-value storage holds one small JSON record per run (state, latest batch numbers, owner, times)
and, under separate keys, the heavier live data (the epoch table, the preview and the latent-map
snapshots) and the Stop flags. Both live in one SQLite file next to the models folder on one
machine, or in Redis when ``$LATENT_LAB_REDIS_URL`` is set (several machines).
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from huey import RedisHuey, SqliteHuey
from huey.constants import EmptyData
from huey.storage import RedisStorage, SqliteStorage

QUEUE_NAME = "latent-lab"


def store_file(models_dir: str | Path) -> Path:
    """The SQLite file of the queue of ``models_dir``: beside it, in the data folder
    (``~/.latent-lab/models-queue.sqlite3`` for the app's models).

    Parameters
    ----------
    models_dir : str or Path

    Returns
    -------
    Path
        ``<parent>/<name>-queue.sqlite3``, absolute.
    """
    models_dir = Path(models_dir).absolute()
    return models_dir.parent / f"{models_dir.name}-queue.sqlite3"


class JobStore:
    """Records of training runs and their live data, shared by every process that opens the same store.

    Parameters
    ----------
    models_dir : str or Path
        The folder the runs save into; names the SQLite file (ignored with Redis).
    redis_url : str, optional
        A Redis URL; default ``$LATENT_LAB_REDIS_URL``, SQLite when neither is given.
    connection_pool : redis.ConnectionPool, optional
        A ready connection pool instead of a URL (tests use fakeredis).
    """

    def __init__(self, models_dir: str | Path, redis_url: str | None = None, connection_pool=None):
        redis_url = redis_url or os.environ.get("LATENT_LAB_REDIS_URL") or None
        if redis_url or connection_pool is not None:
            where = {"connection_pool": connection_pool} if connection_pool is not None else {"url": redis_url}
            self.huey = RedisHuey(QUEUE_NAME, results=False, **where)
            self._records = RedisStorage(f"{QUEUE_NAME}-jobs", **where)
            self._live = RedisStorage(f"{QUEUE_NAME}-live", **where)
            self.location = redis_url or "redis"
            self.lock_file = None
        else:
            path = store_file(models_dir)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
            self._records = SqliteStorage(f"{QUEUE_NAME}-jobs", filename=str(path))
            self._live = SqliteStorage(f"{QUEUE_NAME}-live", filename=str(path))
            self.location = str(path)
            self.lock_file = path.with_suffix(".consumer.lock")

    # -- records -----------------------------------------------------------------------------
    def new_id(self) -> int:
        """A fresh run id (a counter in the store, so unique across processes).

        Returns
        -------
        int
        """
        return int(self._records.incr("next-id"))

    def put(self, record: dict[str, Any]) -> None:
        """Write (or overwrite) a run's record, keyed by its ``id``.

        Parameters
        ----------
        record : dict
            JSON-serialisable; must hold ``id``.
        """
        self._records.put_data(f"job:{record['id']}", json.dumps(record).encode())

    def record(self, job_id: int) -> dict[str, Any] | None:
        """A run's record.

        Parameters
        ----------
        job_id : int

        Returns
        -------
        dict or None
            None when there is no such run.
        """
        data = self._records.peek_data(f"job:{job_id}")
        return None if data is EmptyData else json.loads(data)

    def update(self, job_id: int, **changes) -> dict[str, Any] | None:
        """Change some fields of a record (last writer wins: each field has one writer at a time).

        Parameters
        ----------
        job_id : int
        **changes
            Field values, JSON-serialisable.

        Returns
        -------
        dict or None
            The updated record; None (and nothing written) when there is no such run.
        """
        record = self.record(job_id)
        if record is not None:
            record.update(changes)
            self.put(record)
        return record

    def records(self) -> list[dict[str, Any]]:
        """Every run's record, oldest first.

        Returns
        -------
        list of dict
        """
        items = self._records.result_items()
        found = [json.loads(value) for key, value in items.items() if _text(key).startswith("job:")]
        return sorted(found, key=lambda r: r["id"])

    def forget(self, job_id: int, maps: int = 0) -> None:
        """Delete a run's record and its live data (history, preview, stop flag, maps).

        Parameters
        ----------
        job_id : int
        maps : int, default 0
            How many map snapshots it stored (``map:0`` ... ``map:{maps-1}`` are deleted).
        """
        self._records.delete_data(f"job:{job_id}")
        for key in ("history", "preview", "stop", *(f"map:{n}" for n in range(maps))):
            self._live.delete_data(f"{key}:{job_id}")

    # -- live data: written by the run's relay, read by any page ------------------------------
    def put_live(self, job_id: int, key: str, value: Any) -> None:
        """JSON for tables, ``.npz`` (no pickle) for dicts of arrays.

        Stores a run's live value under ``key``, replacing the previous one.

        Parameters
        ----------
        job_id : int
        key : str
            E.g. "history", "preview", "map:0".
        value : any
            A dict (stored as arrays) or a JSON-serialisable value.
        """
        if isinstance(value, dict):
            buffer = io.BytesIO()
            np.savez(buffer, **{k: np.asarray(v) for k, v in value.items()})
            data = b"npz" + buffer.getvalue()
        else:
            data = b"json" + json.dumps(value).encode()
        self._live.put_data(f"{key}:{job_id}", data)

    def live(self, job_id: int, key: str) -> Any:
        """A run's live value stored by ``put_live``.

        Parameters
        ----------
        job_id : int
        key : str
            E.g. "history", "preview", "map:0".

        Returns
        -------
        any
            The JSON value, a dict of arrays for ``.npz`` data, or None when nothing is stored.
        """
        data = self._live.peek_data(f"{key}:{job_id}")
        if data is EmptyData:
            return None
        if data.startswith(b"npz"):
            with np.load(io.BytesIO(data[3:]), allow_pickle=False) as arrays:
                return {k: arrays[k] for k in arrays.files}
        return json.loads(data[4:])

    def request_stop(self, job_id: int) -> None:
        """Ask a run to stop (sets its stop flag; the consumer's relay passes it on to the training process).

        Parameters
        ----------
        job_id : int
        """
        self._live.put_data(f"stop:{job_id}", b"1")

    def stop_requested(self, job_id: int) -> bool:
        """Whether a stop was asked for the run.

        Parameters
        ----------
        job_id : int

        Returns
        -------
        bool
        """
        return self._live.has_data_for_key(f"stop:{job_id}")

    # -- the consumer's sign of life ---------------------------------------------------------
    def beat(self, pid: int) -> None:
        """Record the consumer's sign of life: its pid, host name and the time now.

        Parameters
        ----------
        pid : int
            The consumer's process id.
        """
        self._records.put_data(
            "consumer", json.dumps({"pid": pid, "host": os.uname().nodename, "at": time.time()}).encode()
        )

    def consumer(self) -> dict[str, Any] | None:
        """The running consumer's pid, host and last sign of life (seconds since the epoch), or None.

        Returns
        -------
        dict or None
            ``pid``, ``host`` and ``at``, as ``beat`` wrote them.
        """
        data = self._records.peek_data("consumer")
        return None if data is EmptyData else json.loads(data)


def _text(key) -> str:
    return key.decode() if isinstance(key, bytes) else key
