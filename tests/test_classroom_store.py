"""The class's shared view: one record with a version, seen by every process; a damaged one is refused."""

import json
import sqlite3
import subprocess
import sys
import time

import pytest

from ui.classroom_store import REDIS_KEY, ClassView, RedisStore, SQLiteStore, open_store
from ui.code_guard import Backoff, matches, new_code

VIEW = {"model": "digits-conv", "map": "umap", "sample": "7"}


def test_a_view_published_by_one_process_is_read_by_another(tmp_path):
    path = tmp_path / "classroom.sqlite"
    teacher = (
        "import sys; from ui.classroom_store import SQLiteStore;"
        "print(SQLiteStore(sys.argv[1]).publish('latent_map', {'model': 'digits-conv', 'map': 'umap'}))"
    )
    student = SQLiteStore(path)
    assert student.read() is None
    done = subprocess.run([sys.executable, "-c", teacher, str(path)], capture_output=True, text=True, check=True)
    view = student.read()
    assert view.version == int(done.stdout) == 1 and view.presenting
    assert (view.page, view.params) == ("latent_map", {"model": "digits-conv", "map": "umap"})


def test_every_change_bumps_the_version_and_stopping_keeps_the_last_view(tmp_path):
    teacher, student = SQLiteStore(tmp_path / "c.sqlite"), SQLiteStore(tmp_path / "c.sqlite")
    first = teacher.publish("", {"model": "digits-conv"})
    second = teacher.publish("generate", {"model": "digits-conv", "from": "1", "to": "9"})
    assert second == first + 1 == student.read().version
    teacher.beat()  # the teacher is still there: no new version, followers do not rerun
    assert student.read().version == second
    stopped = teacher.stop()
    view = student.read()
    assert stopped == second + 1 and not view.presenting and view.page == "generate"


@pytest.mark.parametrize(
    "column, value, words",
    [
        ("params", "{not json", "damaged"),
        ("params", json.dumps({"model": ["a", "list"]}), "short texts"),
        ("params", json.dumps({"model": "x" * 10_000}), "short texts"),
        ("page", "../../etc/passwd", "no page"),
        ("version", "'seven'", "damaged"),
    ],
)
def test_a_tampered_record_is_refused_with_a_reason(tmp_path, column, value, words):
    store = SQLiteStore(tmp_path / "c.sqlite")
    store.publish("latent_map", VIEW)
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        db.execute(f"UPDATE class_view SET {column} = ?", (value,))
    with pytest.raises(ValueError, match=words):
        store.read()


def test_a_store_that_cannot_be_reached_raises_oserror(tmp_path):
    store = SQLiteStore(tmp_path / "c.sqlite")
    store._db.close()
    with pytest.raises(OSError, match="cannot be reached"):
        store.read()


def test_what_a_reader_would_refuse_is_never_written(tmp_path):
    with pytest.raises(ValueError):
        SQLiteStore(tmp_path / "c.sqlite").publish("no such/page", VIEW)


def test_the_redis_store_shares_the_view_between_clients():
    fakeredis = pytest.importorskip("fakeredis", reason="fakeredis is not installed: the Redis store is not tested")
    server = fakeredis.FakeServer()
    teacher, student = RedisStore(fakeredis.FakeRedis(server=server)), RedisStore(fakeredis.FakeRedis(server=server))
    assert student.read() is None and teacher.stop() == 0
    assert teacher.publish("anomaly", {"rule": "sigma", "value": "2.5"}) == 1
    assert student.read() == ClassView(1, True, "anomaly", {"rule": "sigma", "value": "2.5"}, student.read().beat)
    assert teacher.stop() == 2 and not student.read().presenting
    fakeredis.FakeRedis(server=server).hset(REDIS_KEY, "params", "[1, 2]")
    with pytest.raises(ValueError, match="short texts"):
        student.read()


def test_the_data_folder_holds_the_store_unless_redis_is_named(tmp_path):
    store = open_store(tmp_path)
    assert isinstance(store, SQLiteStore) and store.path == tmp_path / "classroom.sqlite"


def test_wrong_codes_wait_longer_and_longer():
    now = [0.0]
    guard = Backoff(free=2, base=1.0, cap=8.0, clock=lambda: now[0])
    for _ in range(2):
        guard.failed("browser")
    assert guard.wait("browser") == 0  # two slips are free
    waits = []
    for _ in range(5):
        guard.failed("browser")
        waits.append(guard.wait("browser"))
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0] and guard.wait("someone else") == 0
    now[0] = 8.5
    assert guard.wait("browser") == 0
    guard.succeeded("browser")
    guard.failed("browser")
    assert guard.wait("browser") == 0


def test_made_up_codes_are_long_and_compared_exactly():
    code = new_code()
    assert len(code) == 10 and code != new_code()
    assert matches(code, code) and matches(f" {code} ", code)
    assert not matches(code[:-1], code) and not matches("", "")


def test_a_beat_is_recorded(tmp_path):
    store = SQLiteStore(tmp_path / "c.sqlite")
    store.publish("", {})
    before = store.read().beat
    time.sleep(0.01)
    store.beat()
    assert store.read().beat > before
