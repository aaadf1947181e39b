"""CPU time and memory of a server's whole process tree, read from /proc (Linux)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields after "pid (comm) "


def tree(root: int) -> list[int]:
    """``root`` and all its descendants that are alive now."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))):
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


class ServerStats:
    """CPU seconds and resident memory summed over a process tree; peak memory sampled in a thread."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.finished_cpu: dict[int, float] = {}  # pid -> last CPU seen, so processes that exit still count
        self._peak = 0
        self._stop = threading.Event()

    def cpu_seconds(self) -> float:
        for pid in tree(self.root):
            if fields := _stat(pid):
                self.finished_cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
        return sum(self.finished_cpu.values())

    def rss(self) -> int:
        return sum(int(fields[21]) * PAGE for pid in tree(self.root) if (fields := _stat(pid)))

    def start_sampling(self, every: float = 0.25) -> None:
        def sample() -> None:
            while not self._stop.wait(every):
                self._peak = max(self._peak, self.rss())

        self._peak = self.rss()
        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop_sampling(self) -> int:
        self._stop.set()
        self._thread.join()
        return self._peak
