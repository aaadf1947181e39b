"""A server a benchmark or test started (scripts/streamlit_server.py) ends with it, however the
benchmark ends: SIGTERM (a timeout), Ctrl-C, or SIGKILL. A stand-in server here: a Python
process that sleeps, with a child of its own (as Streamlit has the training consumer)."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The benchmark: starts the stand-in server through the helper, says the pids, waits to be killed.
BENCHMARK = """
import subprocess, sys, time
from scripts.streamlit_server import start_server_process
child = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); time.sleep(120)"
server = start_server_process([sys.executable, "-c", child])
while len(subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()) < 1:
    time.sleep(0.05)
print(server.pid, subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()[0], flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended (nobody may reap it in a container)


def _gone_within(pids, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_killed_benchmark_leaves_no_server_running(signum):
    benchmark = subprocess.Popen([sys.executable, "-c", BENCHMARK], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    pids = []
    try:
        pids = [int(pid) for pid in benchmark.stdout.readline().split()]
        server, grandchild = pids
        assert _alive(server) and _alive(grandchild)
        benchmark.send_signal(signum)
        benchmark.wait(10)
        # SIGKILL: the kernel ends the server itself; its children watch their parent (the
        # consumer, the UMAP warm-up), which this stand-in's child does not, so only the server is checked.
        assert _gone_within([server] if signum == signal.SIGKILL else [server, grandchild], 10)
    finally:
        benchmark.kill()
        for pid in pids:
            if _alive(pid):
                subprocess.run(["kill", "-9", str(pid)])


def test_a_workers_readiness_agent_says_down_until_the_app_has_run_once():
    """HAProxy's agent check (scripts/serve.sh) reads one line per connection from run_app's agent."""
    import socket
    import threading

    from scripts.run_app import serve_agent

    def reply(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            return connection.recv(64)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ready = threading.Event()
    agent = serve_agent(port, ready)
    try:
        assert reply(port) == b"down\n"
        ready.set()
        assert reply(port) == b"up\n"
    finally:
        agent.shutdown()
        agent.server_close()
