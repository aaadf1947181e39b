"""Start `streamlit run app.py` on a free port of 127.0.0.1 (for browser tests and benchmarks)."""

from __future__ import annotations

import os
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


def start_streamlit(home: str, timeout: float = 60.0, warm: bool = True, port: int = 0) -> tuple[subprocess.Popen, str]:
    """Run the app with ``LATENT_LAB_HOME=home``; return the process and its URL once healthy.

    ``warm``: through ``scripts/run_app.py``, as the README runs it (the library imported while
    the server starts); False: plain ``streamlit run app.py``. ``port``: 0 for a free one."""
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
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    proc.kill()
    raise RuntimeError(f"streamlit did not start within {timeout:.0f} s")


def stop_streamlit(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """End a server started by ``start_streamlit``: terminate it, kill it if it lingers."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def open_app(playwright, url: str):
    """Debian's Chromium (headless) on the app's root page, once the app has drawn it: Streamlit
    decides between its two page systems on the first run, so the root comes first.
    Returns the browser and the page."""
    browser = playwright.chromium.launch(
        executable_path=os.environ.get("LATENT_LAB_CHROMIUM", "/usr/bin/chromium"),
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("heading", name="Overview").wait_for(timeout=120_000)
    return browser, page
