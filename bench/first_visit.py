"""The first visit to a fresh server with an empty data folder, as a class would see it:
seconds from the server answering to the first page's pictures, from choosing UMAP on the
Latent map to the map drawn, and requests to hosts other than 127.0.0.1 over every page.

    PYTHONPATH=. python bench/first_visit.py [--wait S] [--plain] [--port P]

``--wait S``: the first visit comes S seconds after the server answers (a class arrives minutes
after the teacher started it; 0, the default, is the worst case). ``--plain``: plain
``streamlit run app.py`` instead of ``scripts/run_app.py`` (which imports the library while the
server starts), to compare. ``--port P``: the server's port (default: a free one).

"first page" is Playwright's clock: from asking the fresh tab (browser launch excluded) to open
the address until the main area's first picture has loaded and has a size on the screen. "drawn"
is the page's own clock: from the navigation's start to the first animation frame with that
picture decoded, what a person sees; Playwright notices it later when a long task (a chart's
script) holds the page's main thread then. bench/first_page_timeline.py breaks it down.

Targets (issue 17): first page <= 3 s, first UMAP map of a shipped model <= 3 s, 0 outside requests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from urllib.parse import urlparse

from bench.first_page_timeline import PROBE
from scripts.streamlit_server import PAGES, launch_chromium, start_streamlit


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wait", type=float, default=0.0, help="seconds between the server answering and the visit")
    parser.add_argument("--plain", action="store_true", help="plain `streamlit run app.py` (no warm-up)")
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    args = parser.parse_args()
    started = time.perf_counter()
    proc, url = start_streamlit(tempfile.mkdtemp(prefix="latent-lab-fresh-"), warm=not args.plain, port=args.port)
    healthy = time.perf_counter() - started
    time.sleep(args.wait)
    outside: list[str] = []
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.on(
                "request",
                lambda r: (
                    outside.append(r.url)
                    if r.url.startswith(("http", "ws")) and urlparse(r.url).hostname != "127.0.0.1"
                    else None
                ),
            )
            context.add_init_script(PROBE)
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.locator("[data-testid=stMain] [data-testid=stImage] img").first.wait_for(timeout=120_000)
            first_page = time.perf_counter() - start
            drawn = page.evaluate("() => window.__timeline.marks['first picture decoded'] ?? NaN") / 1000

            page.goto(url + "/latent_map")
            page.get_by_text("Nothing selected yet").wait_for(timeout=120_000)
            page.get_by_role("combobox", name="Projection").click()
            start = time.perf_counter()
            page.get_by_role("option", name="UMAP", exact=True).click()
            page.get_by_text("(UMAP of").wait_for(timeout=300_000)
            first_umap = time.perf_counter() - start

            for path, heading in PAGES[1:]:  # the first page is measured above
                page.goto(f"{url}/{path}")
                page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
                page.wait_for_timeout(1500)
            browser.close()
    finally:
        proc.terminate()
    launcher = "streamlit run app.py" if args.plain else "scripts/run_app.py"
    print(f"launcher {launcher}; first visit {args.wait:g} s after the server answered")
    print(f"server healthy after        {healthy:6.1f} s")
    print(
        f"first page (pictures shown) {first_page:6.1f} s   target <= 3 s  (drawn {drawn:.2f} s after navigation start)"
    )
    print(f"first UMAP map              {first_umap:6.1f} s   target <= 3 s")
    print(f"requests to other hosts     {len(outside):6d}     target 0  {sorted(set(outside))[:3]}")


if __name__ == "__main__":
    main()
