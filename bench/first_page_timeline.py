"""Where the first page's seconds go, by Chromium's own clocks: one fresh server (empty data
folder), one fresh headless Chromium, the root page opened once.

    PYTHONPATH=. python bench/first_page_timeline.py [--wait S] [--port P] [--trace FILE]

Prints, in milliseconds from the navigation's start (``performance.timeOrigin``): the HTML,
every script, style sheet, font and picture fetched (size on the wire and decoded), the
websocket's opening and the script run's messages (decoded ``ForwardMsg``s: which element
arrived when), main-thread long tasks, paints, and when each landmark a person sees first
appeared (sidebar, heading, the first picture drawn). ``--trace FILE``: also a Chrome trace
(open in chrome://tracing or Perfetto) and a summary of script parse/compile/run time in it.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time

from scripts.streamlit_server import launch_chromium, start_streamlit, stop_streamlit

# Recorded in the page from its first line: every websocket message's arrival and size, and the
# first frame on which each landmark is on the screen (a picture counts once it has decoded).
PROBE = """
(() => {
  const t = (window.__timeline = { ws: [], marks: {}, longtasks: [] });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const record = { created: performance.now(), messages: [] };
      t.ws.push(record);
      this.addEventListener("open", () => (record.open = performance.now()));
      this.addEventListener("message", (e) =>
        record.messages.push([performance.now(), e.data.byteLength ?? e.data.size ?? e.data.length])
      );
    }
  };
  const marks = {
    "app shell": "[data-testid=stApp]",
    "sidebar": "[data-testid=stSidebar]",
    "sidebar model picker": "[data-testid=stSidebar] [data-testid=stSelectbox]",
    "sidebar QR box": "[data-testid=stSidebar] [data-testid=stExpander]",
    "heading Overview": "[data-testid=stMain] h1",
    "first picture element": "[data-testid=stMain] [data-testid=stImage] img",
    "training curve": "[data-testid=stMain] [data-testid=stVegaLiteChart] :is(canvas, svg.marks)",
    "status widget (running)": "[data-testid=stStatusWidget]",
  };
  const frame = () => {
    const now = performance.now();
    for (const [name, selector] of Object.entries(marks)) {
      if (!(name in t.marks) && document.querySelector(selector)) t.marks[name] = now;
    }
    const img = document.querySelector(marks["first picture element"]);
    if (!("first picture decoded" in t.marks) && img && img.complete && img.naturalWidth > 0)
      t.marks["first picture decoded"] = now;
    if (now < 60000 && Object.keys(t.marks).length < Object.keys(marks).length + 1) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) t.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) {}
})();
"""


def describe(payload: bytes) -> str:
    """A ForwardMsg in a few words: its type and, for a delta, the element it draws."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - not a ForwardMsg
        return f"? {len(payload)} B"
    kind = message.WhichOneof("type")
    if kind == "delta":
        delta = message.delta
        what = delta.WhichOneof("type")
        if what == "new_element":
            what = delta.new_element.WhichOneof("type")
        elif what == "add_block":
            what = "block " + (delta.add_block.WhichOneof("type") or "")
        path = ".".join(str(i) for i in message.metadata.delta_path)
        return f"delta {what} @{path}"
    if kind == "script_finished":
        return f"script_finished {message.script_finished}"
    return kind or "?"


def summarize_trace(data: bytes) -> None:
    """Totals of the main thread's script work in a Chrome trace."""
    events = json.loads(data)
    events = events["traceEvents"] if isinstance(events, dict) else events
    totals: collections.Counter = collections.Counter()
    for event in events:
        if event.get("ph") == "X" and event.get("name") in (
            "v8.compile",
            "v8.compileModule",
            "v8.parseOnBackground",
            "EvaluateScript",
            "v8.evaluateModule",
            "FunctionCall",
            "ParseHTML",
            "Layout",
            "UpdateLayoutTree",
            "Paint",
            "RunTask",
            "v8.run",
            "V8.GC_MC_BACKGROUND_MARKING",
            "MajorGC",
            "MinorGC",
        ):
            totals[(event["name"], event.get("tid"))] += event.get("dur", 0) / 1000
    for (name, tid), ms in sorted(totals.items(), key=lambda kv: -kv[1])[:25]:
        print(f"  trace {name:28s} thread {tid}: {ms:8.1f} ms")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wait", type=float, default=0.0, help="seconds between the server answering and the visit")
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    parser.add_argument("--url", help="a server already running (then none is started)")
    parser.add_argument("--trace", help="write a Chrome trace of the page load here")
    parser.add_argument("--screenshot", help="write a 1280x720 screenshot of the first page here")
    args = parser.parse_args()
    proc, url = (
        (None, args.url) if args.url else start_streamlit(tempfile.mkdtemp(prefix="latent-lab-fresh-"), port=args.port)
    )
    time.sleep(args.wait)
    frames: list[tuple[float, str, int]] = []
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.add_init_script(PROBE)
            page = context.new_page()
            page.on(
                "websocket",
                lambda ws: ws.on(
                    "framereceived",
                    lambda payload: frames.append(
                        (time.time() * 1000, describe(payload) if isinstance(payload, bytes) else "text", len(payload))
                    ),
                ),
            )
            if args.trace:
                browser.start_tracing(
                    page=page, categories=["devtools.timeline", "v8", "disabled-by-default-v8.compile"]
                )
            start = time.perf_counter()
            page.goto(url)
            page.locator("[data-testid=stMain] [data-testid=stImage] img").first.wait_for(timeout=120_000)
            seen = time.perf_counter() - start
            page.wait_for_timeout(3000)
            if args.trace:
                trace = browser.stop_tracing()
                with open(args.trace, "wb") as f:
                    f.write(trace)
            if args.screenshot:
                page.screenshot(path=args.screenshot)
            result = page.evaluate(
                """() => ({
                origin: performance.timeOrigin,
                navigation: performance.getEntriesByType("navigation").map(e => e.toJSON()),
                resources: performance.getEntriesByType("resource").map(e => e.toJSON()),
                paints: performance.getEntriesByType("paint").map(e => [e.name, e.startTime]),
                timeline: window.__timeline,
            })"""
            )
            browser.close()
    finally:
        if proc is not None:
            stop_streamlit(proc)
    origin = result["origin"]
    nav = result["navigation"][0]
    print(
        f"playwright: goto -> first picture element visible {seen * 1000:7.0f} ms (what bench/first_visit.py reports)"
    )
    print(
        f"navigation: request {nav['requestStart']:.0f}  HTML done {nav['responseEnd']:.0f}  "
        f"DOMContentLoaded {nav['domContentLoadedEventEnd']:.0f}  load {nav['loadEventEnd']:.0f} ms"
    )
    print("resources (start -> end ms, wire / decoded KB):")
    by_type: collections.Counter = collections.Counter()
    for r in result["resources"]:
        name = r["name"].split("/")[-1].split("?")[0][:60]
        by_type[r["initiatorType"]] += r["transferSize"]
        print(
            f"  {r['startTime']:7.0f} -> {r['responseEnd']:7.0f}  {r['transferSize'] / 1024:8.1f} /"
            f" {r['decodedBodySize'] / 1024:8.1f}  {r['initiatorType']:8s} {name}"
        )
    print("  wire KB by kind: " + ", ".join(f"{k} {v / 1024:.0f}" for k, v in by_type.items()))
    for ws in result["timeline"]["ws"]:
        print(f"websocket: created {ws['created']:.0f}, open {ws.get('open', float('nan')):.0f} ms")
        # The page's own arrival times, and the messages decoded (in order: one per message).
        arrived = ws["messages"]
        print("messages (ms in the page / ms when Playwright heard of it, what, bytes):")
        for (at, _size), (heard, what, size) in zip(arrived, frames):
            print(f"  {at:7.0f} / {heard - origin:7.0f}  {what:50s} {size}")
    print("paints: " + ", ".join(f"{n} {t:.0f}" for n, t in result["paints"]))
    long = result["timeline"]["longtasks"]
    print(
        f"long tasks: {len(long)}, {sum(d for _, d in long):.0f} ms in all: "
        + ", ".join(f"{s:.0f}+{d:.0f}" for s, d in long)
    )
    print("landmarks (first frame on screen, ms):")
    for name, at in sorted(result["timeline"]["marks"].items(), key=lambda kv: kv[1]):
        print(f"  {at:7.0f}  {name}")
    if args.trace:
        summarize_trace(open(args.trace, "rb").read())


if __name__ == "__main__":
    main()
