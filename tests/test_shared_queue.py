"""One training queue for a whole deployment: two queues over one store (as two Streamlit workers
have) see the same runs, the same places, the same live progress, and Stop from either one.
The training process is a stand-in here (a few lines of Python speaking the worker's protocol);
tests/test_jobs.py trains for real."""

import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from ae_core.train import worker
from ae_core.train.job_store import JobStore
from ae_core.train.queue import TrainingQueue
from ae_core.train.request import TrainingRequest
from ae_core.train.settings import TrainingSettings


def _two_queues(models, **options):
    return (TrainingQueue(models, max_running=1, threads=1, autostart=False, **options) for _ in range(2))


def _until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)


def test_two_queues_over_one_store_see_the_same_runs_in_the_same_order(tmp_path):
    first, second = _two_queues(tmp_path)
    a = first.submit("a", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=2)), owner="ana")
    b = second.submit("b", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=2)), owner="ben")
    assert (second.place(b), first.place(b)) == (2, 2)
    assert [(j.name, j.owner, j.state) for j in first.jobs()] == [("a", "ana", "queued"), ("b", "ben", "queued")]
    assert [j.name for j in second.jobs()] == ["a", "b"]
    assert (first.place(b), second.place(a)) == (2, 1)
    assert second.get(a.id).request == a.request
    with pytest.raises(ValueError, match="already queued or running"):
        second.submit("a", TrainingRequest("digits", "linear", 4))
    assert second.training_names() == {"a", "b"}
    second.stop(a)  # dropped from the queue, in every process
    assert first.get(a.id).state == "stopped"
    assert (first.place(b), a.state) == (1, "stopped")
    assert first.store.huey.pending_count() == 2  # the consumer will skip the stopped one
    third = TrainingQueue(tmp_path, store=first.store, autostart=False)  # one store object, two queues
    assert [j.state for j in third.jobs()] == ["stopped", "queued"]


def test_live_progress_and_stop_reach_the_other_queue(tmp_path, fake_training):
    running, watching = _two_queues(tmp_path)
    job = running.submit(
        "live", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=2)), owner="ana"
    )
    consumer = threading.Thread(
        target=worker.run_job, args=(running.store, job.id), daemon=True
    )  # what the consumer does
    consumer.start()
    seen = watching.get(job.id)
    _until(lambda: seen.history and seen.batch.get("epoch") == 2)
    assert seen.state == "running"
    assert seen.progress == pytest.approx(0.5 + 1 / 6)
    assert [row["epoch"] for row in seen.history] == [1]
    assert seen.preview.shape == (2, 8, 1, 8, 8) and seen.preview.dtype == np.float32
    assert [m["epoch"] for m in seen.maps] == [1] and seen.maps[0]["points"].shape == (2, 2)
    watching.stop(seen)
    consumer.join(timeout=10)
    assert not consumer.is_alive()
    assert (job.state, seen.state) == ("stopped", "stopped")
    assert seen.summary["stopped"] == "stop_event" and seen.progress == 1.0


def test_a_run_stopped_while_it_waited_is_never_started(tmp_path, fake_training):
    first, second = _two_queues(tmp_path)
    job = first.submit("never", TrainingRequest("digits", "linear", 4))
    second.stop(job)
    worker.run_job(first.store, job.id)
    assert job.state == "stopped" and job.started is None


def test_a_run_whose_consumer_went_silent_is_marked_failed_in_one_line(tmp_path):
    first, second = _two_queues(tmp_path, stale_after=1.0)
    job = first.submit("orphan", TrainingRequest("digits", "linear", 4))
    first.store.update(job.id, state="running", started=time.time(), beat=time.time())
    assert second.get(job.id).state == "running"
    time.sleep(1.2)
    seen = second.get(job.id)
    assert seen.state == "failed" and "best epoch" in seen.error and "\n" not in seen.error
    assert first.get(job.id).state == "failed" and second.training_names() == set()


def test_bad_settings_are_refused_before_anything_is_stored(tmp_path):
    first, second = _two_queues(tmp_path)
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        first.submit("ok", TrainingRequest("digits", "nope", 8))
    assert second.jobs() == [] and second.store.huey.pending_count() == 0


def test_redis_store_is_shared_too(tmp_path):
    fakeredis = pytest.importorskip("fakeredis", reason="fakeredis (a test-only stand-in for Redis) is not installed")
    server = fakeredis.FakeServer()
    stores = [JobStore(tmp_path, connection_pool=fakeredis.FakeRedis(server=server).connection_pool) for _ in "ab"]
    first, second = (TrainingQueue(tmp_path, max_running=1, store=s, autostart=None) for s in stores)
    assert not first.autostart  # with Redis the deployment runs its consumer (deploy/compose.yaml)
    a = first.submit("a", TrainingRequest("digits", "linear", 4), owner="ana")
    b = second.submit("b", TrainingRequest("digits", "linear", 4), owner="ben")
    assert [j.name for j in second.jobs()] == ["a", "b"] and second.place(b) == 2
    first.stop(a)
    assert second.get(a.id).state == "stopped" and first.place(b) == 1
    assert first.store.huey.pending_count() == 2


def test_a_fresh_data_folder_gets_its_store(tmp_path):
    queue = TrainingQueue(tmp_path / "new-home" / "models", autostart=False)
    assert queue.jobs() == [] and queue.store.location.startswith(str(tmp_path / "new-home"))


def test_the_consumer_process_does_not_load_torch():
    """The deployment's one consumer only relays: each run trains in its own process, so the
    consumer stays small (torch alone is about 270 MB of a classroom server's memory)."""
    code = "import sys, ae_core.train.consumer; print(sorted({'torch', 'sklearn', 'scipy'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
