"""Real-browser tests: Playwright drives Debian's Chromium against `streamlit run` on 127.0.0.1."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LATENT_LAB_CHROMIUM", "/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "LATENT_LAB_HOME": str(tmp_path_factory.mktemp("home"))}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


def test_app_opens_on_the_default_model_and_shows_reconstructions(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    page.get_by_text("Inputs (top) and reconstructions (bottom)").wait_for(timeout=60_000)
    image = page.locator("[data-testid='stImage'] img").first
    image.wait_for(timeout=30_000)
    assert image.evaluate("img => img.naturalWidth") > 100
    first_errors = page.get_by_text("Errors:").inner_text()
    page.get_by_label("Sample seed").fill("5")
    page.get_by_label("Sample seed").press("Enter")
    page.wait_for_function(f"() => !document.body.innerText.includes({first_errors!r})", timeout=30_000)
    assert "Traceback" not in page.content()
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
