"""Background training: the queue order, stop within a batch, live progress, and what is saved."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ae_core.checkpoints import list_snapshots, load_checkpoint, load_snapshot
from ae_core.explore.projection import aligned_pca
from ae_core.train.queue import TrainingQueue
from ae_core.train.request import TrainingRequest, run_training
from ae_core.train.settings import TrainingSettings

pytestmark = pytest.mark.slow


@pytest.fixture
def queues():
    """Queues that start their own consumer; each one stopped after the test."""
    made = []
    yield lambda *args, **kwargs: made.append(TrainingQueue(*args, **kwargs)) or made[-1]
    for queue in made:
        queue.close()


def _until(queue, condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        queue.wait(queue.jobs()[0], timeout=0.1)


def test_runs_wait_their_turn_and_report_progress(tmp_path, queues):
    queue = queues(tmp_path, max_running=1, threads=1)
    first = queue.submit(
        "first", TrainingRequest("digits", "deep", 4, map_every=2, settings=TrainingSettings(epochs=4))
    )
    second = queue.submit("second", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=2)))
    assert queue.place(second) == 2
    _until(queue, lambda: first.state != "queued")  # the consumer has taken it
    assert (first.state, second.state) == ("running", "queued")
    assert queue.place(second) == 1
    assert queue.wait(first, timeout=120)
    assert first.state == "finished"
    assert [row["epoch"] for row in first.history] == [1, 2, 3, 4]
    assert [m["epoch"] for m in first.maps] == [1, 2, 4]
    assert first.preview.shape == (2, 8, 1, 8, 8)
    assert queue.wait(second, timeout=120) and second.state == "finished"
    saved = load_checkpoint(tmp_path / "first")
    assert saved.metrics["sse_per_sample"] == pytest.approx(first.summary["test"]["sse_per_sample"])
    assert saved.config["extra"]["request"]["epochs"] == 4


def test_stop_ends_a_run_after_its_batch_and_keeps_the_best_epoch(tmp_path, queues):
    queue = queues(tmp_path, max_running=1, threads=1)
    job = queue.submit(
        "long", TrainingRequest("digits", "conv", 8, settings=TrainingSettings(epochs=500, batch_size=32))
    )
    waiting = queue.submit("waiting", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=2)))
    while not job.history:
        assert queue.wait(job, timeout=0.2) is False
    queue.stop(waiting)
    queue.stop(job)
    assert queue.wait(job, timeout=60)
    assert (job.state, waiting.state) == ("stopped", "stopped")
    assert job.summary["epochs_run"] < 500
    checkpoint = load_checkpoint(tmp_path / "long")
    assert checkpoint.config["training"]["stopped"] == "stop_event"
    assert not (tmp_path / "waiting").exists()


def test_bad_names_and_settings_are_refused_before_queueing(tmp_path, queues):
    queue = queues(tmp_path, max_running=1)
    (tmp_path / "taken").mkdir()
    for name, request, message in (
        ("taken", TrainingRequest("digits", "conv", 8), "already exists"),
        ("has space", TrainingRequest("digits", "conv", 8), "not allowed"),
        ("ok", TrainingRequest("digits", "conv", 8, options={"beta": 2.0}), "beta"),
        ("ok", TrainingRequest("digits", "nope", 8), "unknown model 'nope'"),
        (
            "ok",
            TrainingRequest("digits", "conv", 8, settings=TrainingSettings(epochs=10), save_epochs=(20,)),
            "save_epochs",
        ),
    ):
        with pytest.raises(ValueError, match=message):
            queue.submit(name, request)
    assert queue.jobs() == []


def test_a_run_that_fails_reports_one_line_and_frees_the_machine(tmp_path, queues):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the models folder should be")
    queue = queues(blocker, max_running=1, threads=1)
    job = queue.submit("cannot-save", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=1)))
    after = queue.submit("after", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=1)))
    assert queue.wait(job, timeout=120)
    assert job.state == "failed" and "not-a-folder" in job.error and "\n" not in job.error
    assert queue.wait(after, timeout=120) and after.state == "failed"


def test_snapshots_are_kept_across_saves(tmp_path):
    out = tmp_path / "model"
    run_training(
        TrainingRequest("digits", "deep", 4, settings=TrainingSettings(epochs=4), save_epochs=(2, 4), map_every=0),
        out,
        threads=1,
    )
    assert sorted(list_snapshots(out)) == [2, 4]
    checkpoint = load_checkpoint(out)
    early, late = load_snapshot(checkpoint, 2), load_snapshot(checkpoint, 4)
    x = np.random.default_rng(0).random((5, 64), dtype=np.float32)
    assert not np.allclose(early.reconstruct(x), late.reconstruct(x))
    with pytest.raises(ValueError, match="no snapshot of epoch 3"):
        load_snapshot(checkpoint, 3)


def test_aligned_pca_undoes_a_rotation():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(200, 5)) * [5, 3, 1, 0.5, 0.1]
    reference = aligned_pca(codes)
    angle = 2.0
    turned = codes.copy()
    turned[:, :2] = codes[:, :2] @ np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert np.allclose(aligned_pca(turned, reference), reference, atol=1e-3)


def test_a_run_whose_consumer_is_killed_is_marked_failed_and_keeps_a_loadable_model(tmp_path, queues):
    """The consumer dies mid-run: its training process ends after the batch (its pipes closed) and
    saves; the run is marked failed, in one line, by the next consumer or by any reader."""
    queue = queues(tmp_path, max_running=1, threads=1, stale_after=5.0)
    job = queue.submit(
        "orphan", TrainingRequest("digits", "conv", 8, settings=TrainingSettings(epochs=500, batch_size=32))
    )
    while not job.history:
        assert queue.wait(job, timeout=0.2) is False
    os.kill(queue.store.consumer()["pid"], signal.SIGKILL)
    assert queue.wait(job, timeout=60)
    assert job.state == "failed" and "best epoch" in job.error and "\n" not in job.error
    _until(queue, lambda: load_checkpoint(tmp_path / "orphan").config["training"].get("stopped") == "stop_event")
    again = queue.submit("again", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=1)))
    assert queue.wait(again, timeout=120) and again.state == "finished"  # a new consumer took over


def test_another_process_sees_the_run_and_stops_it(tmp_path, queues):
    """Two server processes, one queue: the second lists the first's run and its progress, and stops it."""
    queue = queues(tmp_path, max_running=1, threads=1)
    job = queue.submit(
        "shared",
        TrainingRequest("digits", "conv", 8, settings=TrainingSettings(epochs=500, batch_size=32)),
        owner="ana",
    )
    while not job.history:
        assert queue.wait(job, timeout=0.2) is False
    other = f"""
from ae_core.train.queue import TrainingQueue
queue = TrainingQueue({str(tmp_path)!r}, autostart=False)
job = queue.get({job.id})
print(job.name, job.owner, job.state, len(job.history) >= 1, job.preview.shape)
queue.stop(job)
"""
    seen = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, timeout=120, check=True)
    assert seen.stdout.split() == ["shared", "ana", "running", "True", "(2,", "8,", "1,", "8,", "8)"]
    assert queue.wait(job, timeout=60) and job.state == "stopped"
    assert load_checkpoint(tmp_path / "shared").config["training"]["stopped"] == "stop_event"


def test_a_second_consumer_on_one_store_leaves_at_once(tmp_path):
    command = [sys.executable, "-m", "ae_core.train.consumer", "--models", str(tmp_path)]
    first = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 60
        while TrainingQueue(tmp_path, autostart=False).store.consumer() is None:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)
        assert subprocess.run(command, timeout=60).returncode == 0  # ended: the lock is taken
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(timeout=10)


def test_a_run_queued_by_a_process_that_was_killed_still_trains(tmp_path, queues):
    """A Streamlit worker queues a run and is killed before any consumer took it: the run is in the
    store, and the consumer another process starts trains it."""
    submit = f"""
import os
from ae_core.train.queue import TrainingQueue
from ae_core.train.request import TrainingRequest
from ae_core.train.settings import TrainingSettings
TrainingQueue({str(tmp_path)!r}, threads=1, autostart=False).submit("kept", TrainingRequest("digits", "linear", 4, settings=TrainingSettings(epochs=1)))
os.kill(os.getpid(), 9)
"""
    assert subprocess.run([sys.executable, "-c", submit], timeout=120).returncode == -signal.SIGKILL
    queue = queues(tmp_path, max_running=1, threads=1)
    (job,) = queue.jobs()
    assert (job.name, job.state) == ("kept", "queued")
    assert queue.wait(job, timeout=120) and job.state == "finished"
    assert load_checkpoint(tmp_path / "kept").config["extra"]["request"]["epochs"] == 1
