"""A classroom on one server: N simulated students, each opening every page and doing its
main interaction, with think time between clicks and arrivals spread over a ramp.

Students are light protocol-level clients (scripts/st_client.py), not browsers. Prints per-page
p50/p95/max of a page view (send -> script finished and its pictures fetched), the
user-visible errors (exceptions and st.error lines), dropped sessions, server CPU per page
view and peak memory (RSS summed over every process of the server's tree).

    PYTHONPATH=. .venv/bin/python bench/classroom.py                         # starts its own server
    PYTHONPATH=. .venv/bin/python bench/classroom.py --students 30 --think 0 12 --ramp 20
    PYTHONPATH=. .venv/bin/python bench/classroom.py --url http://127.0.0.1:8501 --server-pid PID
    PYTHONPATH=. .venv/bin/python bench/classroom.py --students 1 --per-page-cpu   # CPU of each page alone
    PYTHONPATH=. .venv/bin/python bench/classroom.py --churn 300                   # memory after sessions leave

Only 127.0.0.1 is accepted, and every run is bounded by --students (at most 60) and --limit.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import sys
import tempfile
import time
from urllib.parse import urlparse

import numpy as np
from PIL import Image

from bench.server_stats import ServerStats
from scripts.st_client import Session, SessionDropped, View, first_point
from scripts.streamlit_server import stop_streamlit

# The pages in the order the teacher walks through them, and each one's main interaction.
PAGES = [
    "",
    "latent_map",
    "generate",
    "compare",
    "train",
    "models",
    "noise_lab",
    "photo",
    "anomaly",
    "recommender",
    "imputation",
    "few_labels",
    "code_space",
]


def sample_photo(seed: int = 0) -> bytes:
    """A small noisy photo to upload."""
    rng = np.random.default_rng(seed)
    picture = np.clip(rng.normal(128, 40, (96, 128, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


async def interact(session: Session, page: str, rng: random.Random) -> str | None:
    """Change the page's main widget the way a student would; returns what was done, or None."""
    if page == "":
        return "slider" if await session.set_widget("overview_count", double_array_value={"data": [16]}) else None
    if page == "latent_map":
        event = first_point(session.charts[0]) if session.charts else None
        if event is None:
            return None
        return "map click" if await session.set_widget("latent_map", string_value=json.dumps(event)) else None
    if page == "generate":
        return "slider" if await session.set_widget("interp_steps", double_array_value={"data": [12]}) else None
    if page == "train":
        return "model type" if await session.set_widget("train_model", string_value="vae") else None
    if page == "noise_lab":
        return "slider" if await session.set_widget("lab_level", double_array_value={"data": [0.5]}) else None
    if page == "photo":
        return "upload" if await session.upload("photo_upload", "photo.png", sample_photo(), "image/png") else None
    if page == "anomaly":
        key = next((k for k in session.widgets if k.startswith("anomaly_value_")), None)
        element = session.element(key) if key else None
        if element is None:
            return None
        moved = min(element.max, element.default * 1.2 + element.step) if element.has_max else element.default * 1.2
        return "threshold" if await session.set_widget(key, double_value=moved) else None
    if page == "code_space":
        return (
            "slider" if await session.set_widget("codes_k", double_array_value={"data": [rng.randint(2, 20)]}) else None
        )
    return None


async def student(url: str, pages: list[str], think: tuple[float, float], start: float, rng, views, dropped):
    await asyncio.sleep(start)
    page = "(connecting)"
    try:
        async with Session(url) as session:
            for page in pages:
                views.append(await session.view(page))
                await asyncio.sleep(rng.uniform(*think))
                action = await interact(session, page, rng)
                if action:
                    views.append(await session.view(page, action))
                    await asyncio.sleep(rng.uniform(*think))
    except (SessionDropped, OSError) as exc:
        dropped.append(f"on {page or 'overview'}: {exc}")


async def classroom(args, stats: ServerStats) -> tuple[list[View], list[str], float]:
    rng = random.Random(args.seed)
    views: list[View] = []
    dropped: list[str] = []
    cpu_before = stats.cpu_seconds()
    tasks = [
        student(
            args.url, PAGES, tuple(args.think), rng.uniform(0, args.ramp), random.Random(rng.random()), views, dropped
        )
        for _ in range(args.students)
    ]
    await asyncio.wait_for(asyncio.gather(*tasks), args.limit)
    return views, dropped, stats.cpu_seconds() - cpu_before


async def per_page_cpu(args, stats: ServerStats) -> None:
    """One student alone: server CPU and time of each page view (after one warm-up pass)."""
    rng = random.Random(args.seed)
    async with Session(args.url) as session:
        for repeat in range(args.repeats + 1):
            for page in PAGES:
                before = stats.cpu_seconds()
                view = await session.view(page)
                cpu = stats.cpu_seconds() - before
                if repeat:
                    print(
                        f"{page or 'overview':12s} {view.seconds * 1000:7.0f} ms wall  {cpu * 1000:6.0f} ms CPU",
                        *view.errors,
                    )
                action = await interact(session, page, rng)
                if action:
                    before = stats.cpu_seconds()
                    view = await session.view(page, action)
                    cpu = stats.cpu_seconds() - before
                    if repeat:
                        print(
                            f"  {action:10s} {view.seconds * 1000:7.0f} ms wall  {cpu * 1000:6.0f} ms CPU", *view.errors
                        )


async def warm_up(args, stats: ServerStats) -> None:
    once = argparse.Namespace(**{**vars(args), "repeats": 0})
    await asyncio.gather(*(per_page_cpu(once, stats) for _ in range(args.warm_up)))


async def churn(args, stats: ServerStats) -> None:
    """Sessions that open the first page and leave, in waves: memory after 30 and after --churn."""
    wave = 10
    for done in range(0, args.churn, wave):

        async def visit():
            async with Session(args.url) as session:
                await session.view("")
                await session.view("latent_map")

        await asyncio.gather(*(visit() for _ in range(wave)))
        await asyncio.sleep(1.0)
        if done + wave in (30, args.churn) or (done + wave) % 100 == 0:
            now = stats.rss_by_process()
            parts = ", ".join(f"{name} {rss / 2**20:.0f}" for name, rss in sorted(now.items()) if rss > 20 * 2**20)
            print(f"after {done + wave:4d} sessions: {sum(now.values()) / 2**20:7.0f} MB ({parts})")


def report_memory(peaks: dict[str, int], peak: int, peak_pss: int) -> None:
    """Peak resident memory of each kind of server process, and of all of them at once (RSS and PSS)."""
    for name, rss in sorted(peaks.items(), key=lambda item: -item[1]):
        print(f"  peak memory {name:16s} {rss / 2**20:6.0f} MB")
    print(
        f"  peak memory {'all at once':16s} {peak / 2**20:6.0f} MB (RSS summed; shared library pages count per process)"
    )
    print(f"  peak memory {'all at once':16s} {peak_pss / 2**20:6.0f} MB (PSS summed, every second: pages shared once)")


def report(views: list[View], dropped: list[str], cpu: float, peak: int, wall: float) -> None:
    print(f"{len(views)} page views in {wall:.0f} s; dropped sessions: {len(dropped)}")
    print(f"{'page':14s} {'views':>5s} {'p50 s':>6s} {'p95 s':>6s} {'max s':>6s}")
    for page in PAGES:
        times = [v.seconds for v in views if v.page == page]
        if times:
            p50, p95 = np.percentile(times, [50, 95])
            print(f"{page or 'overview':14s} {len(times):5d} {p50:6.2f} {p95:6.2f} {max(times):6.2f}")
    every = [v.seconds for v in views]
    if every:
        p50, p95 = np.percentile(every, [50, 95])
        print(f"{'all':14s} {len(every):5d} {p50:6.2f} {p95:6.2f} {max(every):6.2f}")
    errors = [(v.page, e) for v in views for e in v.errors]
    print(f"user-visible errors: {len(errors)}")
    for page, error in errors[:10]:
        print(f"  {page or 'overview'}: {error[:160]}")
    for reason in dropped[:5]:
        print(f"  dropped: {reason[:160]}")
    print(f"server CPU per page view: {1000 * cpu / max(1, len(views)):.0f} ms; peak memory {peak / 2**20:.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server on 127.0.0.1 (default: start one)")
    parser.add_argument("--server-pid", type=int, help="root process of that server (CPU and memory of its tree)")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--think", type=float, nargs=2, default=[0.0, 12.0], metavar=("MIN", "MAX"))
    parser.add_argument("--ramp", type=float, default=20.0, help="arrivals spread over this many seconds")
    parser.add_argument("--limit", type=float, default=900.0, help="stop the run after this many seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-page-cpu", action="store_true", help="one student: CPU of every page view")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--churn", type=int, default=0, help="sessions that come and go (memory check)")
    parser.add_argument(
        "--warm-up", type=int, default=1, help="sessions that open every page together first (one per worker; 0: none)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 60 or args.churn > 600:
        sys.exit("--students must be 1..60 and --churn at most 600")

    process = None
    if args.url is None:
        from scripts.streamlit_server import start_streamlit

        process, args.url = start_streamlit(tempfile.mkdtemp(prefix="classroom-"), timeout=120)
        args.server_pid = process.pid
    if urlparse(args.url).hostname != "127.0.0.1":
        sys.exit("only servers on 127.0.0.1")
    if args.server_pid is None:
        sys.exit("--server-pid is needed with --url (its process tree is measured)")
    stats = ServerStats(args.server_pid)
    try:
        if args.warm_up:  # the teacher opens every page first (on each worker): shared results are cached
            asyncio.run(warm_up(args, stats))
        if args.per_page_cpu:
            asyncio.run(per_page_cpu(args, stats))
        elif args.churn:
            asyncio.run(churn(args, stats))
        else:
            stats.start_sampling()
            start = time.perf_counter()
            views, dropped, cpu = asyncio.run(classroom(args, stats))
            peak = stats.stop_sampling()
            report(views, dropped, cpu, peak, time.perf_counter() - start)
            report_memory(stats.peaks, peak, stats.peak_pss)
    finally:
        if process is not None:
            stop_streamlit(process)


if __name__ == "__main__":
    main()
