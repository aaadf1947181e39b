"""The teacher code: made up when the server has none, compared in constant time, and wrong
guesses slowed down. Plain Python (no Streamlit)."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable

# No 0/o, 1/l/i: read off a server's console and typed on a phone.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_code(length: int = 10) -> str:
    """A random code (31**10: about 8e14, far beyond what the slowed guessing can try)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def matches(given: str, code: str) -> bool:
    return bool(code) and hmac.compare_digest(given.strip().encode(), code.encode())


class Backoff:
    """Exponential delay after repeated failures, per key (a browser, an address).

    ``free`` failures cost nothing; after the n-th failure beyond them, the key must wait
    ``base * 2**(n-1)`` seconds (at most ``cap``) before its next attempt counts.
    Thread-safe: a server's sessions share one.
    """

    def __init__(
        self, free: int = 2, base: float = 1.0, cap: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.free, self.base, self.cap, self.clock = free, base, cap, clock
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, time of the last one)
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds ``key`` must still wait before trying again (0: it may try now)."""
        with self._lock:
            count, last = self._failures.get(key, (0, 0.0))
        if count <= self.free:
            return 0.0
        delay = min(self.base * 2 ** (count - self.free - 1), self.cap)
        return max(0.0, last + delay - self.clock())

    def failed(self, key: str) -> None:
        with self._lock:
            if len(self._failures) > 10_000:  # a flood of made-up keys does not grow memory for ever
                self._failures.clear()
            count, _ = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, self.clock())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
