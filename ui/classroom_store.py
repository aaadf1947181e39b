"""The class's shared view: what the presenting teacher shows, for every follower to read.

One small record with a version number, in a store every server process reaches: SQLite in the
data folder (one machine, any number of processes), or Redis when ``$LATENT_LAB_REDIS_URL`` is
set (several machines). A follower polls :meth:`read` (one row or one hash) and reruns its app
only when ``version`` changed. Plain Python (no Streamlit), so it is tested without a browser.

What comes back from the store is data like anything a browser sends: :meth:`read` checks its
shape and raises ``ValueError`` for a damaged record; the view's values themselves are checked
by ``ui.link_state`` when a follower opens them.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

REDIS_ENV = "LATENT_LAB_REDIS_URL"
REDIS_KEY = "latent-lab:class-view"
PAGE_PATTERN = re.compile(r"[a-z0-9_]{0,64}")  # a page's URL path ("" is the first page)
MAX_PARAMS = 32
MAX_TEXT = 256


@dataclass(frozen=True)
class ClassView:
    """The teacher's view: its page (URL path), its link parameters (``ui.link_state``), and
    ``beat``, when the presenting browser last said it was there (seconds since the epoch)."""

    version: int
    presenting: bool
    page: str = ""
    params: dict[str, str] = field(default_factory=dict)
    beat: float = 0.0


class ClassStore(Protocol):
    def publish(self, page: str, params: dict[str, str]) -> int: ...
    def stop(self) -> int: ...
    def beat(self) -> None: ...
    def read(self) -> ClassView | None: ...


def checked(version, presenting, page, params, beat) -> ClassView:
    """A record read back from a store, as a ClassView; ValueError if it is damaged."""
    try:
        version, presenting, beat = int(version), int(presenting), float(beat)
        values = json.loads(params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the published view is damaged ({exc})") from None
    if version < 0 or presenting not in (0, 1):
        raise ValueError(f"the published view is damaged (version {version}, presenting {presenting})")
    if not isinstance(page, str) or not PAGE_PATTERN.fullmatch(page):
        raise ValueError(f"the published view names no page of this app: {str(page)[:64]!r}")
    if (
        not isinstance(values, dict)
        or len(values) > MAX_PARAMS
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())
        or any(len(k) > MAX_TEXT or len(v) > MAX_TEXT for k, v in values.items())
    ):
        raise ValueError("the published view is damaged (its values are not short texts)")
    return ClassView(version, bool(presenting), page, values, beat)


def _unreachable(method: Callable) -> Callable:
    """A store that cannot be reached raises OSError, whichever store it is."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except self.errors as exc:
            raise OSError(f"the class's shared view cannot be reached ({exc})") from exc

    return wrapper


def _encoded(page: str, params: dict[str, str]) -> str:
    checked(0, 1, page, json.dumps(params), 0.0)  # never write what a reader would refuse
    return json.dumps(params, sort_keys=True)


class SQLiteStore:
    """The view in one row of a SQLite file (WAL: readers never wait for the writer)."""

    errors = (sqlite3.Error,)

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per store, shared by the server's session threads under a lock: a
        # statement takes microseconds, and a connection per thread would leak one per rerun.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS class_view (id INTEGER PRIMARY KEY CHECK (id = 1),"
                " version INTEGER NOT NULL, presenting INTEGER NOT NULL, page TEXT NOT NULL,"
                " params TEXT NOT NULL, beat REAL NOT NULL)"
            )

    @_unreachable
    def publish(self, page: str, params: dict[str, str]) -> int:
        """Make ``page`` and ``params`` the class's view; returns its new version."""
        encoded = _encoded(page, params)
        with self._lock:
            (version,) = self._db.execute(
                "INSERT INTO class_view VALUES (1, 1, 1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " version = version + 1, presenting = 1, page = excluded.page, params = excluded.params,"
                " beat = excluded.beat RETURNING version",
                (page, encoded, time.time()),
            ).fetchone()
        return version

    @_unreachable
    def stop(self) -> int:
        """The teacher stopped presenting (followers keep the last view); returns the new version."""
        with self._lock:
            row = self._db.execute(
                "UPDATE class_view SET version = version + 1, presenting = 0 RETURNING version"
            ).fetchone()
        return row[0] if row else 0

    @_unreachable
    def beat(self) -> None:
        """The presenting browser is still there (no new version: followers do not rerun)."""
        with self._lock:
            self._db.execute("UPDATE class_view SET beat = ? WHERE presenting = 1", (time.time(),))

    @_unreachable
    def read(self) -> ClassView | None:
        """The class's view, or None if nobody has presented yet."""
        with self._lock:
            row = self._db.execute(
                "SELECT version, presenting, page, params, beat FROM class_view WHERE id = 1"
            ).fetchone()
        return None if row is None else checked(*row)


class RedisStore:
    """The view in one Redis hash, for classroom servers on several machines."""

    FIELDS = ("version", "presenting", "page", "params", "beat")

    def __init__(self, client) -> None:
        import redis

        self.client = client
        self.errors = (redis.RedisError,)

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        import redis  # only deployments with a Redis server need the package loaded

        return cls(redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0))

    @_unreachable
    def publish(self, page: str, params: dict[str, str]) -> int:
        encoded = _encoded(page, params)
        pipe = self.client.pipeline(transaction=True)
        pipe.hincrby(REDIS_KEY, "version", 1)
        pipe.hset(REDIS_KEY, mapping={"presenting": 1, "page": page, "params": encoded, "beat": time.time()})
        return int(pipe.execute()[0])

    @_unreachable
    def stop(self) -> int:
        if not self.client.exists(REDIS_KEY):
            return 0
        pipe = self.client.pipeline(transaction=True)
        pipe.hincrby(REDIS_KEY, "version", 1)
        pipe.hset(REDIS_KEY, "presenting", 0)
        return int(pipe.execute()[0])

    @_unreachable
    def beat(self) -> None:
        if self.client.hget(REDIS_KEY, "presenting") in (b"1", "1"):
            self.client.hset(REDIS_KEY, "beat", time.time())

    @_unreachable
    def read(self) -> ClassView | None:
        values = self.client.hmget(REDIS_KEY, self.FIELDS)
        if values[0] is None:
            return None
        version, presenting, page, params, beat = (v.decode() if isinstance(v, bytes) else v for v in values)
        return checked(version, presenting, page, params, beat)


def open_store(home: str | os.PathLike, redis_url: str | None = None) -> ClassStore:
    """Redis at ``redis_url`` when given, else ``classroom.sqlite`` in the data folder ``home``."""
    if redis_url:
        return RedisStore.from_url(redis_url)
    return SQLiteStore(Path(home) / "classroom.sqlite")
