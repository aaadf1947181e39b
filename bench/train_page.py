"""Seconds from pressing Train (default settings: conv on digits) to "Finished" in the browser.

    PYTHONPATH=. python bench/train_page.py

Starts `streamlit run app.py` on 127.0.0.1 and drives Debian's Chromium with Playwright.
Goal: under 30 s on 2 cores. Also prints the run's own training seconds and test error.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time

from scripts.streamlit_server import open_app, start_streamlit


def main() -> None:
    from playwright.sync_api import sync_playwright

    os.environ["LATENT_LAB_UMAP_WARMUP"] = "0"
    proc, url = start_streamlit(tempfile.mkdtemp())
    try:
        with sync_playwright() as p:
            browser, page = open_app(p, url)
            page.goto(url + "/train")
            button = page.get_by_role("button", name="Train").first
            button.wait_for(timeout=60_000)
            start = time.perf_counter()
            button.click()
            done = page.get_by_text("Finished after")
            done.wait_for(timeout=300_000)
            seconds = time.perf_counter() - start
            text = done.inner_text()
            browser.close()
    finally:
        proc.terminate()
    error = re.search(r"Test error ([0-9.]+)", text)
    run = re.search(r"in (\d+) s", text)
    print(
        json.dumps(
            {
                "click_to_finished_s": round(seconds, 1),
                "training_s": int(run.group(1)) if run else None,
                "test_error_per_sample": float(error.group(1)) if error else None,
            }
        )
    )


if __name__ == "__main__":
    main()
