"""The recommender trains on the deployment's training queue (issue 19), not in the web process: the
page shows its place, its progress and Stop, and opens trained wherever a trained one is saved."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ae_core.apps.rating_uploads import store_rating_files
from ae_core.apps.recommender import Recommender, synthetic_ratings
from ae_core.apps.recommender_training import RecommenderRequest, load_recommender
from ae_core.system.paths import owner_hash, user_data_dir, user_models_dir
from ae_core.train import worker
from ae_core.train.queue import TrainingQueue

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/use/recommender.py"
SMALL = synthetic_ratings(n_users=40, n_items=30, density=0.4, seed=3).to_csv(index=False).encode()


@pytest.fixture
def external_consumer(monkeypatch):
    """The page's queue starts no consumer: the test runs the consumer's task itself."""
    monkeypatch.setenv("LATENT_LAB_QUEUE_CONSUMER", "external")


def page(**state) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in state.items():
        app.session_state[key] = value
    app.switch_page(PAGE)
    return app.run()


def queue() -> TrainingQueue:
    return TrainingQueue(user_models_dir(), autostart=False)


def consume(job_id: int) -> threading.Thread:
    """What the queue's consumer does with a run, in a thread of this process (the training itself
    is still the worker's own process)."""
    thread = threading.Thread(target=worker.run_job, args=(queue().store, job_id), daemon=True)
    thread.start()
    return thread


@pytest.fixture
def nothing_shipped(monkeypatch, tmp_path):
    """A deployment without the shipped demo recommender: the demo's first view must queue it."""
    monkeypatch.setattr("ae_core.apps.recommender_training.SHIPPED_RECOMMENDERS", tmp_path / "none")


def until(app: AppTest, condition, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition(app):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.3)
        app.run()


def test_a_request_names_only_stored_uploads_and_valid_settings():
    hashed = owner_hash("ana")
    for values, message in (
        ({"source": "mine"}, "source must be one of synthetic, movielens, upload"),
        ({"source": "synthetic", "epochs": 0}, "epochs == 0"),
        ({"source": "synthetic", "lr": -1.0}, "lr == -1.0"),
        ({"source": "synthetic", "train_file": "u-0123456789.data"}, "only source 'upload' names uploaded files"),
        ({"source": "upload", "uploader": "../ana", "train_file": "u-0123456789.data"}, "hashed id"),
        ({"source": "upload", "uploader": hashed, "train_file": "../../models/x.data"}, "name it was stored under"),
        ({"source": "upload", "uploader": hashed, "train_file": "/etc/passwd"}, "name it was stored under"),
    ):
        with pytest.raises(ValueError, match=message):
            RecommenderRequest(**values)
    with pytest.raises(ValueError, match=r"unknown recommender request field\(s\) \['path'\]"):
        RecommenderRequest.from_dict({"source": "synthetic", "path": "/tmp"})
    request = RecommenderRequest("upload", uploader=hashed, train_file="u-0123456789.data")
    assert RecommenderRequest.from_dict(request.as_dict()) == request
    with pytest.raises(ValueError, match="no longer on the server"):
        request.ratings()


def test_uploaded_ratings_are_kept_only_when_they_pass_every_check():
    folder = user_data_dir() / owner_hash("ana")
    with pytest.raises(ValueError, match="not a number"):
        store_rating_files(folder, (SMALL, "ratings.csv"), (b"1\t1\tinf\n", "u.test"))
    assert not folder.exists()  # the good training file was not kept either
    train_name, test_name = store_rating_files(folder, (SMALL, "my ratings.csv"))
    assert test_name == "" and train_name.startswith("my-ratings-") and (folder / train_name).read_bytes() == SMALL
    request = RecommenderRequest("upload", epochs=2, uploader=folder.name, train_file=train_name)
    assert request.folder().parent == folder / "recommenders"
    train, test = request.ratings()
    assert len(train) + len(test) == SMALL.count(b"\n") - 1


@pytest.mark.slow
def test_a_saved_recommender_is_found_by_another_process_and_gives_the_same_predictions(tmp_path):
    request = RecommenderRequest("synthetic", epochs=1, hidden=8)
    train, test = request.ratings()
    summary = request.run(request.folder(), threads=1)
    assert summary["stopped"] == "completed" and (request.folder() / "weights.safetensors").is_file()
    assert not list(request.folder().glob("*.pkl")) and not list(request.folder().glob("*.pt"))
    other = (
        "from ae_core.apps.recommender_training import RecommenderRequest, load_recommender\n"
        "request = RecommenderRequest('synthetic', epochs=1, hidden=8)\n"
        "train, test = request.ratings()\n"
        "print(round(load_recommender(request, train).rmse(test)['autorec'], 6))\n"
    )
    seen = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, timeout=120, check=True)
    assert float(seen.stdout) == pytest.approx(summary["rmse"]["autorec"], abs=1e-6)
    assert load_recommender(RecommenderRequest("synthetic", epochs=2, hidden=8), train) is None  # other settings


def test_a_fresh_deployment_opens_the_shipped_demo_trained_at_once(external_consumer, monkeypatch):
    monkeypatch.setattr(Recommender, "fit", lambda *a, **k: pytest.fail("trained in the web process"))
    app = page(owner="ana")
    assert not app.exception and not queue().jobs()  # nothing to wait for, nothing queued
    assert float(app.metric[0].value) < float(app.metric[1].value)  # the autoencoder beats the global mean
    assert not RecommenderRequest("synthetic").folder().exists()  # read from pretrained/, not copied


def test_the_demo_is_queued_once_for_every_visitor_and_stop_ends_it(
    external_consumer, fake_training, nothing_shipped, monkeypatch
):
    monkeypatch.setattr(Recommender, "fit", lambda *a, **k: pytest.fail("trained in the web process"))
    first = page(owner="ana")
    assert not first.exception and not first.metric
    assert "place 1 in the queue" in first.info[0].value
    (job,) = queue().jobs()
    assert (job.kind, job.owner, job.out) == ("recommender", "ana", RecommenderRequest("synthetic").folder())
    second = page(owner="ben")  # another visitor waits for the same run, and may not stop it
    assert len(queue().jobs()) == 1 and "place 1 in the queue" in second.info[0].value
    assert not [b for b in second.button if b.label == "Stop"]
    consumer = consume(job.id)
    until(first, lambda app: app.get("progress"))  # live progress, read from the shared store
    next(b for b in first.button if b.label == "Stop").click().run()
    consumer.join(timeout=20)
    assert not consumer.is_alive() and queue().get(job.id).state == "stopped"
    first.run()
    assert not first.exception and any("nothing was kept" in i.value for i in first.info)
    assert [b.label for b in first.button if b.label == "Train the ratings autoencoder"]
    assert not RecommenderRequest("synthetic").folder().exists() and len(queue().jobs()) == 1


def test_a_run_whose_worker_died_is_failed_in_one_line(external_consumer, nothing_shipped):
    app = page(owner="ana")
    (job,) = queue().jobs()
    queue().store.update(job.id, state="running", started=time.time(), beat=time.time() - 60)
    app.run()
    assert not app.exception and len(app.error) == 1
    assert "nothing of it was saved" in app.error[0].value and "\n" not in app.error[0].value
    assert [b.label for b in app.button if b.label == "Train the ratings autoencoder"]


@pytest.mark.slow
def test_an_upload_trains_in_the_worker_process_and_opens_trained_after(external_consumer, monkeypatch):
    monkeypatch.setattr(Recommender, "fit", lambda *a, **k: pytest.fail("trained in the web process"))
    app = page(owner="ana", rec_source="upload", rec_epochs=10)
    app.file_uploader(key="rec_train_file").set_value(("ratings.csv", SMALL, "text/csv")).run()
    assert not app.exception and not app.metric
    next(b for b in app.button if b.label == "Train the ratings autoencoder").click().run()
    (job,) = queue().jobs()
    consumer = consume(job.id)
    until(app, lambda app: app.metric, timeout=120)
    consumer.join(timeout=30)
    assert not app.exception and queue().get(job.id).state == "finished"
    assert job.out.parent == user_data_dir() / owner_hash("ana") / "recommenders"
    # The same browser later (another session, or after a restart): trained at once, nothing queued.
    again = page(owner="ana", rec_source="upload", rec_epochs=10)
    again.file_uploader(key="rec_train_file").set_value(("ratings.csv", SMALL, "text/csv")).run()
    assert [m.value for m in again.metric] == [m.value for m in app.metric] and len(queue().jobs()) == 1
