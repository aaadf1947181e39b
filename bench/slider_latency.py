"""Browser latency from moving a traversal slider to the new decoded image on screen.

    PYTHONPATH=. python bench/slider_latency.py [--moves 30] [--while-training [--close-train-tab]]

Starts `streamlit run app.py` on 127.0.0.1, drives Debian's Chromium with Playwright, presses an
arrow key on the first traversal slider and times until the "decoded live" picture is redrawn
(goal: p95 under 150 ms on 2 cores), and until the server has sent the sheet decoded around the
new code (the round trip that no longer stands between the hand and the picture; it includes the
component's 50 ms wait for the hand to pause).
``--while-training`` first starts a long training from the Train page in another tab (goal then:
under 300 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from scripts.streamlit_server import open_app, start_streamlit, stop_streamlit

REDRAWN = "([figure, old]) => figure.dataset.drawn !== old"
SYNCED = "figure => figure.dataset.source === 'decoded' && figure.dataset.positions === figure.dataset.shown"


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--while-training", action="store_true")
    parser.add_argument("--close-train-tab", action="store_true", help="with --while-training: close its tab")
    parser.add_argument("--port", type=int, default=None, help="the server's port (default: a free one)")
    args = parser.parse_args()
    timings, round_trips = [], []
    # Measure the steady state: without the start-up UMAP compile running beside the server.
    os.environ["LATENT_LAB_UMAP_WARMUP"] = "0"
    proc, url = start_streamlit(tempfile.mkdtemp(), port=args.port)
    try:
        with sync_playwright() as p:
            browser, page = open_app(p, url)
            if args.while_training:
                trainer = browser.new_page(viewport={"width": 1400, "height": 1000})
                trainer.goto(url + "/train")
                trainer.get_by_role("spinbutton", name="Epochs").fill("1000")
                trainer.get_by_role("spinbutton", name="Epochs").press("Enter")
                trainer.wait_for_timeout(1000)
                trainer.get_by_role("button", name="Train").first.click()
                trainer.get_by_text("Test samples (top)").wait_for(timeout=120_000)
                if args.close_train_tab:  # the training goes on without a page watching it
                    trainer.close()
            page.goto(url + "/generate")
            page.get_by_role("tab", name="Traverse").click()
            figure = page.locator("figure.live-traversal")
            figure.wait_for(timeout=120_000)
            handle = figure.element_handle()
            page.wait_for_function(SYNCED, arg=handle, timeout=60_000)
            slider = page.get_by_role("slider", name="dimension").first
            slider.focus()
            for i in range(args.moves + 3):
                before = figure.get_attribute("data-drawn")
                start = time.perf_counter()
                page.keyboard.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")
                page.wait_for_function(REDRAWN, arg=[handle, before], timeout=30_000, polling="raf")
                drawn = time.perf_counter()
                page.wait_for_function(SYNCED, arg=handle, timeout=30_000, polling="raf")
                if i >= 3:  # the first moves warm caches
                    timings.append((drawn - start) * 1000)
                    round_trips.append((time.perf_counter() - start) * 1000)
                page.wait_for_timeout(150)
            browser.close()
    finally:
        stop_streamlit(proc)
    print(
        json.dumps(
            {
                "moves": len(timings),
                **percentiles("picture", timings),
                **percentiles("server_round_trip", round_trips),
                "while_training": args.while_training,
                "train_tab_open": args.while_training and not args.close_train_tab,
            }
        )
    )


def percentiles(name: str, values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        f"{name}_p50_ms": round(values[len(values) // 2], 1),
        f"{name}_p95_ms": round(values[int(len(values) * 0.95) - 1], 1),
        f"{name}_max_ms": round(values[-1], 1),
    }


if __name__ == "__main__":
    main()
