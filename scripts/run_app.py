"""Run Latent Lab: ``streamlit run app.py`` with the library already imported when the first
person opens the page.

Streamlit imports what a page needs only when a browser first opens it, so on a fresh server
the first visitor waits for torch, plotly and the app's own modules (seconds on a small
machine). Here a background thread imports them while the server starts, then opens the app's
root once itself (a protocol-level session, scripts/st_client.py): Streamlit learns the app's
pages from ``st.navigation`` only on a first run, and until then a visitor who arrives straight
on a page's link (a teacher's shared link, the class QR code) gets a "Page not found" dialog
over it (streamlit/streamlit#8860). Every argument goes to ``streamlit run``
(``--server.port 8502``...). ``LATENT_LAB_READY_FILE``: a file written once this is done (for
tests and benchmarks). ``LATENT_LAB_AGENT_PORT``: a port on 127.0.0.1 where HAProxy's agent
check (scripts/serve.sh) reads "down" until then and "up" after, so that the proxy sends no tab
to a worker that was just (re)started before it knows its pages. ``LATENT_LAB_WARM_PAGES=1`` (scripts/serve.sh sets it): after that, every
page is opened once too, so that what each page computes once per server for the default model
(its code space, imputation, maps) is ready before a class arrives, not paid by its first student.

    .venv/bin/python scripts/run_app.py [STREAMLIT OPTIONS]
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import os
import pkgutil
import socketserver
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the router and the first page import, heaviest first; then every Streamlit helper.
FIRST_PAGE = ("torch", "plotly.graph_objects", "PIL.Image", "ae_core.checkpoints.library", "ae_core.train.queue")


# glibc's mallopt parameters (malloc.h) and the values used: see limit_malloc.
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
MALLOC_SETTINGS = {"MALLOC_ARENA_MAX": (M_ARENA_MAX, 2), "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, 128 * 1024)}


def limit_malloc() -> None:
    """Keep the server's memory from growing with the number of sessions (glibc only).

    Streamlit runs every session's script in a thread of its own, and glibc gives threads that
    allocate at once arenas of their own (up to 8 per core), each keeping what its sessions freed.
    Two arenas, and blocks of 128 KB or more (arrays, pictures) always mapped on their own and so
    handed back to the system when freed, took a worker with 15 students from a peak of about
    1.4 GB to under 1 GB (bench/classroom.py). Called before any thread starts; a value set in the
    environment (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``) is left as glibc read it.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return
    for variable, (parameter, value) in MALLOC_SETTINGS.items():
        if variable not in os.environ:
            mallopt(parameter, value)


def warm_up() -> None:
    """Import the first page's modules now (errors are left for the page to show)."""
    import ui

    names = [*FIRST_PAGE, *(f"ui.{m.name}" for m in pkgutil.iter_modules(ui.__path__))]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the page that needs it reports the problem properly
            pass


def server_url(timeout: float = 120.0) -> str | None:
    """This process's server address once its runtime is up (its port and path as configured)."""
    from streamlit import config
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout
    while not Runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if not Runtime.exists():
        return None
    address = config.get_option("server.address") or "127.0.0.1"
    path = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{address}:{config.get_option('server.port')}" + (f"/{path}" if path else "")


async def open_pages(url: str, pages: tuple[str, ...] = ("",), timeout: float = 120.0) -> None:
    """One session that runs each of ``pages`` (the root by default) once, as a browser would."""
    from scripts.st_client import Session

    deadline = time.monotonic() + timeout
    while True:
        try:
            async with Session(url, timeout=timeout) as session:
                for page in pages:
                    await session.view(page)
            return
        except OSError:  # not listening yet
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def serve_agent(port: int, ready: threading.Event) -> socketserver.TCPServer:
    """HAProxy's agent check on 127.0.0.1:``port``: each connection reads "down" until ``ready`` is
    set, then "up" (the agent protocol's operational states), in a daemon thread.

    Parameters
    ----------
    port : int
    ready : threading.Event

    Returns
    -------
    socketserver.TCPServer
        Serving; ``shutdown()`` stops it.
    """

    class Agent(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.sendall(b"up\n" if ready.is_set() else b"down\n")

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Agent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="latent-lab-agent", daemon=True).start()
    return server


def prepare(ready: threading.Event) -> None:
    warm_up()
    url = server_url()
    try:
        if url is not None:
            asyncio.run(open_pages(url))
    except Exception as exc:  # noqa: BLE001 - the app still works; only a first deep link may show a note
        print(f"run_app: could not open the app once at start ({exc})", file=sys.stderr)
    ready.set()
    ready_file = os.environ.get("LATENT_LAB_READY_FILE")
    if ready_file:
        Path(ready_file).parent.mkdir(parents=True, exist_ok=True)
        Path(ready_file).write_text("ready\n")
    if url is not None and os.environ.get("LATENT_LAB_WARM_PAGES") == "1":
        from scripts.streamlit_server import PAGES

        try:
            asyncio.run(open_pages(url, tuple(page for page, _ in PAGES[1:]), timeout=600))
        except Exception as exc:  # noqa: BLE001 - each page still computes its results on first use
            print(f"run_app: could not open every page once at start ({exc})", file=sys.stderr)


def main(argv: list[str]) -> int:
    limit_malloc()
    sys.path.insert(0, str(ROOT))
    ready = threading.Event()
    if os.environ.get("LATENT_LAB_AGENT_PORT"):  # first, so a restarted worker says "down" at once
        serve_agent(int(os.environ["LATENT_LAB_AGENT_PORT"]), ready)
    threading.Thread(target=prepare, args=(ready,), name="latent-lab-warm-up", daemon=True).start()
    from streamlit.web import cli

    return cli.main(["run", str(ROOT / "app.py"), *argv], prog_name="streamlit", standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
