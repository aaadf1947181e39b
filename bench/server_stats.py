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


def label(pid: int) -> str:
    """What a process of a Latent Lab server is, from its command line: ``streamlit :PORT``,
    ``consumer``, ``training``, ``umap warm-up``, ``haproxy``, ``shell`` (serve.sh's supervisors)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "gone"
    if "--server.port" in args:
        return "streamlit :" + args[args.index("--server.port") + 1]
    for marker, name in (("ae_core.train.consumer", "consumer"), ("ae_core.train.worker", "training")):
        if marker in args:
            return name
    if any("warm_up_umap" in a for a in args):
        return "umap warm-up"
    program = Path(args[0]).name if args else ""
    return {"bash": "shell", "sh": "shell", "haproxy": "haproxy"}.get(program, program or "other")


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
        return sum(self.rss_by_process().values())

    def rss_by_process(self) -> dict[str, int]:
        """Resident memory now, summed per kind of process (``label``)."""
        found: dict[str, int] = {}
        for pid in tree(self.root):
            if fields := _stat(pid):
                name = label(pid)
                found[name] = found.get(name, 0) + int(fields[21]) * PAGE
        return found

    def pss(self) -> int:
        """Proportional set size summed over the tree: a page shared by k processes (torch's
        libraries, mapped by every worker) counts 1/k in each, so the sum is what the tree holds."""
        total = 0
        for pid in tree(self.root):
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            total += next((int(line.split()[1]) * 1024 for line in text.splitlines() if line.startswith("Pss:")), 0)
        return total

    def start_sampling(self, every: float = 0.25) -> None:
        def sample() -> None:
            count = 0
            while not self._stop.wait(every):
                self._note(self.rss_by_process())
                count += 1
                if count % 4 == 0:  # reading smaps costs more than stat
                    self.peak_pss = max(self.peak_pss, self.pss())

        self.peaks: dict[str, int] = {}  # label -> the most that kind of process held at once
        self.peak_pss = self.pss()
        self._note(self.rss_by_process())
        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def _note(self, now: dict[str, int]) -> None:
        self._peak = max(self._peak, sum(now.values()))
        for name, rss in now.items():
            self.peaks[name] = max(self.peaks.get(name, 0), rss)

    def stop_sampling(self) -> int:
        self._stop.set()
        self._thread.join()
        return self._peak
