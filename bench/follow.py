"""Follow the teacher: with N followers connected, how long from the teacher's change (a page
or a model) until every follower's screen shows it; and what idle followers cost the server.

Teacher and followers are protocol-level clients (scripts/st_client.py): the teacher enters the
code and turns on Present; each follower turns on Follow the teacher and then does what the
browser does, rerunning the polling fragment every ``run_every`` seconds. A follower's view
counts as updated when a whole-app run of it finished on the teacher's page with the teacher's
model and its pictures arrived. Prints, per change, when the last follower had it and the
server's CPU seconds until then (divided by the followers: what one follower's update costs,
its share of the others' polls included, a figure that a busy machine slows less than the
latency); then p50/p95/max of the latency over every (change, follower) pair, the changes a
follower missed, the server's CPU while the class sits idle (polls/s, % of one core), and the
server's and this benchmark's own CPU while changing. All clients share one process: its CPU
is printed so that a run whose client is the bottleneck shows it (measured: 3-9% of a core,
while the server used 40-70%).

    PYTHONPATH=. .venv/bin/python bench/follow.py                       # starts its own server
    PYTHONPATH=. .venv/bin/python bench/follow.py --followers 30 --changes 12
    PYTHONPATH=. .venv/bin/python bench/follow.py --url http://127.0.0.1:8501 --server-pid PID --code CODE

The classroom set-up: ``LATENT_LAB_TEACHER_CODE=CODE scripts/serve.sh 8501 2`` and then the last
line with ``--server-pid`` the pid of serve.sh (its workers, HAProxy and the queue are measured).

Only 127.0.0.1 is accepted; at most 60 followers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from urllib.parse import urlparse

import numpy as np

from bench.server_stats import ServerStats
from scripts.st_client import Session
from scripts.streamlit_server import stop_streamlit

# The teacher's walk: (page, model); every step changes the page or the model.
STEPS = [
    ("latent_map", "mnist-sample-conv"),
    ("latent_map", "digits-conv"),
    ("generate", "digits-conv"),
    ("", "digits-conv"),
    ("", "mnist-sample-conv"),
    ("anomaly", "mnist-sample-conv"),
]
SIDEBAR = ("model_name", "present")  # the teacher's sidebar widgets, kept from page to page


def chosen_model(session: Session) -> str:
    """The model the sidebar's picker shows (its label starts with the model's name)."""
    element = session.element("model_name")
    if element is None:
        return ""
    label = element.raw_value if element.HasField("raw_value") else element.options[element.default]
    return label.split(" (")[0]


async def set_model(session: Session, model: str) -> None:
    element = session.element("model_name")
    label = next(option for option in element.options if option.split(" (")[0] == model)
    await session.set_widget("model_name", string_value=label)


class Follower:
    def __init__(self, url: str) -> None:
        self.session = Session(url)
        self.seen: list[tuple[float, str, str]] = []  # (time, page, model) of each whole-app run
        self.polls = 0

    async def join(self) -> None:
        await self.session.__aenter__()
        await self.session.view("")
        await self.session.set_widget("follow_teacher", bool_value=True)
        await self.session.view("")

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            interval = min(self.session.fragments.values(), default=0.5)
            await asyncio.sleep(interval)
            for fragment_id in list(self.session.fragments):
                self.polls += 1
                if await self.session.rerun_fragment(fragment_id):
                    self.seen.append((time.perf_counter(), self.session.page, chosen_model(self.session)))

    def updated_at(self, since: float, page: str, model: str) -> float | None:
        return next((t for t, p, m in self.seen if t >= since and p == page and m == model), None)


async def change_view(args, teacher: Session, followers: list[Follower], page: str, model: str, stats) -> tuple:
    """The teacher goes to ``page`` with ``model``: seconds until each follower showed it (None: not
    within ``args.wait``), and the server's CPU seconds until then."""
    start, cpu = time.perf_counter(), stats.cpu_seconds()
    if page != teacher.page:
        await teacher.view(page, keep=SIDEBAR)
    if model != chosen_model(teacher):
        await set_model(teacher, model)
        await teacher.view(page, "model", keep=SIDEBAR)
    deadline = start + args.wait
    while time.perf_counter() < deadline:
        if all(f.updated_at(start, page, model) is not None for f in followers):
            break
        await asyncio.sleep(0.05)
    times = [f.updated_at(start, page, model) for f in followers]
    cpu = stats.cpu_seconds() - cpu
    await asyncio.sleep(args.pause)
    return [None if t is None else t - start for t in times], cpu


async def run(args, stats: ServerStats) -> None:
    teacher = Session(args.url)
    await teacher.__aenter__()
    await teacher.view("")
    await teacher.set_widget("teacher_code_input", string_value=args.code)
    await teacher.view("")
    if not await teacher.set_widget("present", bool_value=True):
        sys.exit("the teacher code was refused: no Present toggle")
    await teacher.view("")

    followers = [Follower(args.url) for _ in range(args.followers)]
    for start in range(0, len(followers), 10):  # they arrive in groups, as a class does
        await asyncio.gather(*(f.join() for f in followers[start : start + 10]))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(f.follow(stop)) for f in followers]

    await asyncio.sleep(2.0)
    cpu, polls, idle_start = stats.cpu_seconds(), sum(f.polls for f in followers), time.perf_counter()
    await asyncio.sleep(args.idle)
    idle_seconds = time.perf_counter() - idle_start
    idle_cpu = (stats.cpu_seconds() - cpu) / idle_seconds
    idle_polls = (sum(f.polls for f in followers) - polls) / idle_seconds

    if args.warm_up:  # the teacher's walk once, unmeasured: every worker's shared results are computed
        for page, model in STEPS:
            await change_view(args, teacher, followers, page, model, stats)
    latencies, missed = [], 0
    client_cpu, server_cpu, changes_start = time.process_time(), stats.cpu_seconds(), time.perf_counter()
    for change in range(args.changes):
        page, model = STEPS[change % len(STEPS)]
        times, cpu = await change_view(args, teacher, followers, page, model, stats)
        missed += sum(t is None for t in times)
        done = [t for t in times if t is not None]
        latencies += done
        print(
            f"change {change + 1:2d} -> {page or 'overview':10s} {model:18s} "
            f"all {len(done)}/{len(followers)} in {max(done, default=float('nan')):5.2f} s, "
            f"server CPU {cpu:4.2f} s ({1000 * cpu / len(followers):3.0f} ms per follower)"
        )
    changes_seconds = time.perf_counter() - changes_start
    client_cpu, server_cpu = time.process_time() - client_cpu, stats.cpu_seconds() - server_cpu
    stop.set()
    await asyncio.gather(*tasks)
    for session in [teacher, *(f.session for f in followers)]:
        await session.__aexit__(None, None, None)

    p50, p95 = np.percentile(latencies, [50, 95]) if latencies else (float("nan"),) * 2
    print(f"{args.followers} followers, {args.changes} changes of the teacher's view")
    print(
        f"teacher's change -> follower's view updated: p50 {p50:.2f} s, p95 {p95:.2f} s, "
        f"max {max(latencies, default=float('nan')):.2f} s; missed {missed} of {args.changes * args.followers}"
    )
    print(f"idle class: {idle_polls:.0f} polls/s, server CPU {100 * idle_cpu:.0f}% of one core")
    print(
        f"while changing ({changes_seconds:.0f} s): server CPU {100 * server_cpu / changes_seconds:.0f}% of one core, "
        f"this benchmark's own CPU {100 * client_cpu / changes_seconds:.0f}%"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server on 127.0.0.1 (default: start one)")
    parser.add_argument("--server-pid", type=int, help="root process of that server (its CPU is measured)")
    parser.add_argument("--code", default="bench-teacher", help="the server's teacher code")
    parser.add_argument("--followers", type=int, default=30)
    parser.add_argument("--changes", type=int, default=12)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of an idle class, for its cost")
    parser.add_argument("--pause", type=float, default=1.5, help="seconds between the teacher's changes")
    parser.add_argument("--warm-up", type=int, default=1, help="walk the teacher's steps once first (0: cold)")
    parser.add_argument("--wait", type=float, default=15.0, help="give up on a change after this many seconds")
    args = parser.parse_args(argv)
    if not 1 <= args.followers <= 60:
        sys.exit("--followers must be 1..60")

    process = None
    if args.url is None:
        from scripts.streamlit_server import start_streamlit

        os.environ.update(LATENT_LAB_TEACHER_CODE=args.code, LATENT_LAB_UMAP_WARMUP="0")
        process, args.url = start_streamlit(tempfile.mkdtemp(prefix="follow-"), timeout=120)
        args.server_pid = process.pid
    if urlparse(args.url).hostname != "127.0.0.1":
        sys.exit("only servers on 127.0.0.1")
    if args.server_pid is None:
        sys.exit("--server-pid is needed with --url (its process tree is measured)")
    try:
        asyncio.run(run(args, ServerStats(args.server_pid)))
    finally:
        if process is not None:
            stop_streamlit(process)


if __name__ == "__main__":
    main()
