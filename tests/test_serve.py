"""scripts/serve.sh: workers behind HAProxy, sticky by cookie; a killed worker comes back."""

import asyncio
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import requests

from bench.classroom import sample_photo
from bench.server_stats import tree
from scripts.st_client import Session

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _free_port_run(count: int) -> int:
    """A port with the ``count - 1`` ports after it free too (the proxy's and its workers')."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + count > 65535:
            continue
        try:
            for p in range(port + 1, port + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
    raise RuntimeError("no run of free ports")


def _healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200
    except OSError:
        return False


def _wait(condition, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    port = _free_port_run(5)  # the proxy, two workers and their two readiness agents
    env = {
        **os.environ,
        "LATENT_LAB_HOME": str(tmp_path_factory.mktemp("home")),
        "LATENT_LAB_UMAP_WARMUP": "0",
        "LATENT_LAB_ADDRESS": "127.0.0.1",
    }
    server = subprocess.Popen(["bash", "scripts/serve.sh", str(port), "2"], cwd=ROOT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: all(_healthy(f"http://127.0.0.1:{port + i}") for i in (1, 2)) and _healthy(url), 120)
        yield server, url, port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)


async def _two_students_on_two_workers(url: str) -> list[Session]:
    """Sessions held open at once are spread over the workers (least connections), once the
    proxy's health checks see both workers up."""
    found: dict[str, Session] = {}
    for _ in range(20):
        student = await Session(url).__aenter__()
        worker = student.http.cookies.get("LATENTLAB")
        if worker in found:
            await student.__aexit__(None, None, None)
            await asyncio.sleep(1.0)
        else:
            found[worker] = student
        if len(found) == 2:
            return list(found.values())
    raise AssertionError(f"every session went to {list(found)}")


def test_uploads_and_pictures_reach_the_process_that_holds_the_session(classroom):
    _, url, _ = classroom

    async def scenario():
        students = await _two_students_on_two_workers(url)
        try:
            for seed, student in enumerate(students):
                await student.view("photo")
                assert await student.upload("photo_upload", "mine.png", sample_photo(seed), "image/png")
                view = await student.view("photo", "upload")  # fetches its pictures: raises on a 404
                assert view.errors == [] and view.media >= 1
            # Each photo is different: its picture asked for on the other worker is not there.
            first, second = students
            picture = requests.get(url + first.media[0], cookies={"LATENTLAB": second.http.cookies["LATENTLAB"]})
            assert picture.status_code == 404
        finally:
            for student in students:
                await student.__aexit__(None, None, None)

    asyncio.run(scenario())


def test_a_killed_worker_comes_back_and_its_students_reconnect(classroom):
    server, url, port = classroom
    worker = next(
        pid
        for pid in tree(server.pid)
        if f"--server.port {port + 1}" in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    )
    os.kill(worker, signal.SIGKILL)
    _wait(lambda: not _healthy(f"http://127.0.0.1:{port + 1}"), 10)
    _wait(lambda: _healthy(f"http://127.0.0.1:{port + 1}"), 120)

    async def reconnect():
        # A tab that was on the killed worker reconnects straight onto its page, the moment the new
        # worker answers: the proxy sends it nowhere that has not yet run the app once (a fresh
        # worker would show "Page not found" over a page it does not know yet).
        async with Session(url) as student:
            student.http.cookies.set("LATENTLAB", "w1")
            view = await student.view("photo")  # its pictures are files the worker serves (the Overview's are inline)
            assert view.errors == [] and view.media >= 1

    asyncio.run(reconnect())
    assert worker not in tree(server.pid)


def test_stopping_the_server_stops_every_process(tmp_path):
    port = _free_port_run(3)
    env = {
        **os.environ,
        "LATENT_LAB_HOME": str(tmp_path),
        "LATENT_LAB_UMAP_WARMUP": "0",
        "LATENT_LAB_ADDRESS": "127.0.0.1",
    }
    server = subprocess.Popen(["bash", "scripts/serve.sh", str(port), "1"], cwd=ROOT, env=env, start_new_session=True)
    _wait(lambda: _healthy(f"http://127.0.0.1:{port}"), 120)
    processes = tree(server.pid)
    assert len(processes) >= 3  # the script, a worker, HAProxy (and their supervisors)
    server.send_signal(signal.SIGTERM)
    server.wait(30)
    _wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in processes), 20)


def test_one_training_queue_consumer_serves_the_workers_and_comes_back(classroom):
    """serve.sh runs one consumer for both workers (they start none); killed, it is started again."""
    from ae_core.train.queue import TrainingQueue

    server, _, _ = classroom
    environ = dict(v.split("=", 1) for v in Path(f"/proc/{server.pid}/environ").read_text().split("\0") if "=" in v)
    store = TrainingQueue(Path(environ["LATENT_LAB_HOME"]) / "models", autostart=False).store
    _wait(lambda: store.consumer() is not None, 60)
    consumers = [
        pid for pid in tree(server.pid) if b"ae_core.train.consumer" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert consumers == [store.consumer()["pid"]]
    os.kill(consumers[0], signal.SIGKILL)
    _wait(lambda: store.consumer()["pid"] != consumers[0] and time.time() - store.consumer()["at"] < 5, 60)
