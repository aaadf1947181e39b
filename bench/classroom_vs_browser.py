"""Does the protocol client measure what a person sees? The same pages, at the same time, in
real Chromium tabs and in protocol-level students (scripts/st_client.py), on one server.

A tab's page view is a click on the page's sidebar link -> the page's title drawn, Streamlit's
"running" indicator gone and every picture loaded.

    PYTHONPATH=. .venv/bin/python bench/classroom_vs_browser.py [--tabs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time

from playwright.sync_api import sync_playwright

from scripts.st_client import Session
from scripts.streamlit_server import open_app, start_streamlit, stop_streamlit

PAGES = {"latent_map": "Latent map", "generate": "Generate", "train": "Train", "models": "Your models", "": "Overview"}
DONE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && [...document.images].every(i => i.complete)"""


def browser_tab(playwright, url: str, rounds: int, times: dict) -> None:
    browser, page = open_app(playwright, url)
    try:
        for _ in range(rounds):
            for path, title in PAGES.items():
                start = time.perf_counter()
                page.get_by_role("link", name=title, exact=True).first.click()
                page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=60_000)
                page.wait_for_function(DONE, timeout=60_000)
                times.setdefault(path, []).append(time.perf_counter() - start)
    finally:
        browser.close()


async def protocol_student(url: str, rounds: int, times: dict) -> None:
    async with Session(url) as session:
        await session.view("")
        for _ in range(rounds):
            for path in PAGES:
                view = await session.view(path)
                times.setdefault(path, []).append(view.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tabs", type=int, default=3, help="Chromium tabs, and as many protocol students (1..4)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tabs = max(1, min(args.tabs, 4))
    process, url = start_streamlit(tempfile.mkdtemp(prefix="classroom-"), timeout=120)
    try:
        asyncio.run(protocol_student(url, 1, {}))  # warm the shared caches first
        browser_times: dict = {}
        protocol_times: dict = {}

        def tab() -> None:
            with sync_playwright() as playwright:
                browser_tab(playwright, url, args.rounds, browser_times)

        threads = [threading.Thread(target=tab) for _ in range(tabs)]
        for thread in threads:
            thread.start()

        async def students() -> None:
            await asyncio.gather(*(protocol_student(url, args.rounds, protocol_times) for _ in range(tabs)))

        asyncio.run(students())
        for thread in threads:
            thread.join()
        print(f"{tabs} Chromium tabs and {tabs} protocol students at once, {args.rounds} rounds; median seconds")
        print(f"{'page':12s} {'Chromium':>9s} {'protocol':>9s}")
        for path in PAGES:
            print(
                f"{path or 'overview':12s} {statistics.median(browser_times[path]):9.2f}"
                f" {statistics.median(protocol_times[path]):9.2f}"
            )
    finally:
        stop_streamlit(process)


if __name__ == "__main__":
    main()
