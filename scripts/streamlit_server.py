"""Start `streamlit run app.py` on a free port of 127.0.0.1 (for browser tests and benchmarks).

A server started here never outlives the process that started it: it runs in its own process
group, which is ended when that process exits (normally, on an exception, Ctrl-C or SIGTERM, as
``timeout`` sends), and on Linux the server is also sent SIGTERM by the kernel if its parent is
killed outright (SIGKILL).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every page of the app: its URL path and its heading (English).
PAGES = (
    ("", "Overview"),
    ("latent_map", "Latent map"),
    ("generate", "Generate"),
    ("compare", "Compare with PCA"),
    ("train", "Train"),
    ("models", "Your models"),
    ("noise_lab", "Noise lab"),
    ("photo", "Photo denoiser"),
    ("anomaly", "Anomaly studio"),
    ("recommender", "Recommender"),
    ("imputation", "Imputation"),
    ("few_labels", "Few labels"),
    ("code_space", "Code space"),
)


def start_streamlit(
    home: str, timeout: float = 60.0, warm: bool = True, port: int | None = None
) -> tuple[subprocess.Popen, str]:
    """Run the app with ``LATENT_LAB_HOME=home``; return the process and its URL once healthy.

    ``warm``: through ``scripts/run_app.py``, as the README runs it (the library imported while
    the server starts); False: plain ``streamlit run app.py``. ``port``: None or 0, a free one."""
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    launcher = [str(ROOT / "scripts" / "run_app.py")] if warm else ["-m", "streamlit", "run", "app.py"]
    cmd = [
        sys.executable,
        *launcher,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
    ]
    Path(home).mkdir(parents=True, exist_ok=True)
    ready = Path(home) / ".ready"  # written by scripts/run_app.py once it has run the app once
    ready.unlink(missing_ok=True)
    env = {**os.environ, "LATENT_LAB_HOME": home, "LATENT_LAB_READY_FILE": str(ready)}
    proc = start_server_process(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            if not warm or ready.exists():
                return proc, url
        except OSError:
            pass
        time.sleep(0.25)
    stop_streamlit(proc, timeout=5)
    raise RuntimeError(f"streamlit did not start within {timeout:.0f} s")


_SERVERS: list[subprocess.Popen] = []  # started here and not stopped yet
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def start_server_process(command: list[str], **popen_options) -> subprocess.Popen:
    """``subprocess.Popen(command)`` in a process group of its own that ends with this process.

    The group (the server and whatever it starts: the training consumer, the UMAP warm-up) is
    ended by ``stop_streamlit``, or when this process exits, or on SIGTERM or SIGINT (Ctrl-C no
    longer reaches a server in its own group). On Linux the kernel also sends the server itself
    SIGTERM when the thread that started it dies, SIGKILL of this process included (its own
    children then end with it: they watch their parent). Start servers from the main thread.
    """
    _ensure_cleanup()
    process = subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent(), **popen_options)
    _SERVERS.append(process)
    return process


def stop_streamlit(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """End a server started by ``start_streamlit`` and its process group: SIGTERM, then SIGKILL
    if it lingers."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process, signal.SIGKILL)  # what is left of the group (the leader is done or stuck)
    process.wait()
    if process in _SERVERS:
        _SERVERS.remove(process)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)  # the group keeps the leader's id while any member lives
    except (ProcessLookupError, PermissionError):
        pass


def _stop_all() -> None:
    for process in list(_SERVERS):
        stop_streamlit(process, timeout=5)


_HANDLERS_SET = False


def _ensure_cleanup() -> None:
    """Once per process: stop the servers at exit and on SIGTERM/SIGINT, then do what the signal
    did before (SIGINT: KeyboardInterrupt; SIGTERM: exit with status 143)."""
    global _HANDLERS_SET
    if _HANDLERS_SET:
        return
    _HANDLERS_SET = True
    atexit.register(_stop_all)
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            before = signal.getsignal(signum)
            signal.signal(signum, lambda number, frame, before=before: _on_signal(number, frame, before))
        except ValueError:  # not the main thread: atexit still stops them
            pass


def _on_signal(signum: int, frame, before) -> None:
    _stop_all()
    if callable(before):
        before(signum, frame)
    elif before != signal.SIG_IGN:
        raise SystemExit(128 + signum)


def _die_with_parent():
    """A function for ``preexec_fn`` that asks Linux to send the child SIGTERM when its parent
    dies (prctl PR_SET_PDEATHSIG); None elsewhere. libc is looked up before the fork."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return set_death_signal


def launch_chromium(playwright):
    """Debian's Chromium, headless (``$LATENT_LAB_CHROMIUM`` names another binary)."""
    return playwright.chromium.launch(
        executable_path=os.environ.get("LATENT_LAB_CHROMIUM", "/usr/bin/chromium"),
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


def open_app(playwright, url: str):
    """Debian's Chromium (headless) on the app's root page, once the app has drawn it: Streamlit
    decides between its two page systems on the first run, so the root comes first.
    Returns the browser and the page."""
    browser = launch_chromium(playwright)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("heading", name="Overview").wait_for(timeout=120_000)
    return browser, page
