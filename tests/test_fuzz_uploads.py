"""Crafted uploads through every loader, the pages (AppTest) and the CLI: each gets one line, costs
little memory, reads no server file, writes nothing outside the data folder, keeps nothing that
does not load, and leaves the app working for the next person."""

from __future__ import annotations

import os
import re
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ae_core.apps.recommender import index_ratings, read_ratings
from ae_core.checkpoints import (
    CheckpointConfig,
    check_upload_dataset,
    import_zip,
    parse_config,
    read_config,
    save_checkpoint,
)
from ae_core.checkpoints.library import claim_model, list_models
from ae_core.cli import main
from ae_core.data import load_dataset, store_upload
from ae_core.data.images import read_image
from ae_core.models import build_model
from ae_core.system.paths import owner_hash, upload_dir, user_data_dir, user_models_dir
from tests import fuzz_files
from tests.fuzz_files import ALL, Case, png, zipped

ROOT = Path(__file__).resolve().parents[1]
PEAK_BYTES = 150e6  # traced Python/numpy memory of one refused upload

# -- watching the file system: an audit hook records every open, mkdir, rename and delete --------
_events: list[tuple[str, str]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _events is None or event not in ("open", "os.mkdir", "os.rename", "os.remove", "os.rmdir", "shutil.rmtree"):
        return
    path = args[0]
    if isinstance(path, int) or path is None:
        return
    path = os.fsdecode(path)
    if event == "open":
        mode, flags = args[1], args[2]
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & (os.O_WRONLY | os.O_RDWR))
        _events.append(("write" if writing else "read", path))
    elif not (event in ("os.remove", "os.rmdir") and args[-1] is not None):  # inside shutil.rmtree's folder
        _events.append(("write", path))


sys.addaudithook(_audit)


class Watch:
    """Files touched, and traced peak memory, while the block runs."""

    def __enter__(self):
        global _events
        _events = []
        tracemalloc.start()
        return self

    def __exit__(self, *exc):
        global _events
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.events, _events = _events, None
        return False

    def outside(self, home: Path, server: Path) -> list[str]:
        """Reads of the server's files and writes anywhere but the data folder."""
        home, server = str(home.resolve()), str(server.resolve())
        bad = []
        for kind, path in self.events:
            resolved = str(Path(path).resolve())
            if resolved.startswith(server) or (
                kind == "write" and not resolved.startswith(home) and "__pycache__" not in resolved
            ):
                bad.append(f"{kind} {path}")
        return bad


def one_line(message: str) -> bool:
    return "\n" not in message and "Traceback" not in message and 0 < len(message) < 400


@pytest.fixture
def server(tmp_path):
    return fuzz_files.server_files(tmp_path)


def feed(case: Case, data: bytes, filename: str):
    if case.kind == "model_zip":
        return import_zip(data, user_models_dir() / "upload", owner="student-a")
    if case.kind == "dataset":
        return store_upload(data, filename, upload_dir("student-a"))
    if case.kind == "ratings":
        return index_ratings(read_ratings(data, filename))
    return read_image(data, name=filename)


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_a_crafted_upload_gets_one_line_and_costs_nothing(case, server, latent_lab_home):
    filename, data = case.make(server)
    with Watch() as watch, pytest.raises(ValueError) as refused:
        feed(case, data, filename)
    message = str(refused.value)
    assert one_line(message), message
    assert re.search(case.expect, message), message
    assert "hunter2" not in message  # the server file's content never reaches the message
    assert watch.peak < PEAK_BYTES, f"{watch.peak / 1e6:.0f} MB traced"
    assert watch.outside(latent_lab_home, server) == []
    kept = [p for p in latent_lab_home.rglob("*") if p.is_file()] if latent_lab_home.exists() else []
    assert kept == [], f"kept after a refused upload: {kept}"


def test_well_formed_files_still_load_by_their_real_range(server, latent_lab_home):
    deep = png(np.full((4, 4), 200, np.uint16))  # a 16-bit PNG whose values are all <= 255
    assert read_image(deep).max() == pytest.approx(200 / 65535)
    assert read_image(fuzz_files._tiff(np.full((4, 4), 0.5, np.float32))).max() == pytest.approx(0.5)
    images = zipped({f"a/{i}.png": png(np.full((6, 6), 30 * i, np.uint8)) for i in range(4)})
    assert store_upload(images, "ok.zip", upload_dir("student-a")).shape == (1, 6, 6)


def model_zip(dataset: str, **extra) -> bytes:
    """A tiny model's zip (8x8 input) whose config names ``dataset``."""
    files = fuzz_files.model_files()
    config = fuzz_files.json.loads(files["config.json"])
    config["dataset"], config["extra"] = dataset, extra
    files["config.json"] = fuzz_files.json.dumps(config).encode()
    return zipped(files)


def eight_by_eight(name: str, folder: Path) -> str:
    images = zipped({f"{c}/{i}.png": png(np.full((8, 8), 30 * i, np.uint8)) for c in "ab" for i in range(3)})
    return store_upload(images, name, folder).spec


def test_an_uploaded_model_may_name_only_data_its_own_browser_uploaded(latent_lab_home):
    theirs = model_zip(eight_by_eight("mine.zip", upload_dir("student-a")))
    assert import_zip(theirs, user_models_dir() / "a", owner="student-a").is_dir()
    for extra in ({}, {"uploader": "teacher"}):  # what the zip says of its uploader is not believed
        with pytest.raises(ValueError) as refused:
            import_zip(
                model_zip(parse_config(user_models_dir() / "a").dataset, **extra),
                user_models_dir() / "b",
                owner="student-b",
            )
        assert one_line(str(refused.value)) and "same browser" in str(refused.value), refused.value
    assert not (user_models_dir() / "b").exists()
    assert import_zip(theirs, user_models_dir() / "t", owner="student-b", teacher=True).is_dir()
    # Opened later, by anyone: it names its uploader's data; a forged uploader does not pass.
    check_upload_dataset(parse_config(user_models_dir() / "a"))
    forged = read_config(user_models_dir() / "a")
    forged["extra"]["uploader"] = owner_hash("student-b")
    with pytest.raises(ValueError, match="same browser"):
        check_upload_dataset(CheckpointConfig.parse(forged))


def test_uploads_from_before_per_browser_folders_still_load(latent_lab_home):
    """A file directly in the data folder: models trained on it here keep loading it; an uploaded
    zip naming it needs the teacher (nobody knows which browser sent it)."""
    flat = eight_by_eight("old.zip", user_data_dir())
    assert load_dataset(flat).x_train.shape[1:] == (1, 8, 8)
    path = save_checkpoint(build_model("linear", (1, 8, 8), 2), user_models_dir() / "trained", dataset=flat)
    check_upload_dataset(parse_config(path))  # trained here: not an upload
    with pytest.raises(ValueError, match="same browser"):
        import_zip(model_zip(flat), user_models_dir() / "x", owner="student-a")
    assert import_zip(model_zip(flat), user_models_dir() / "x", owner="student-a", teacher=True).is_dir()


def test_a_model_with_bad_fields_on_disk_is_listed_as_broken(latent_lab_home):
    save_checkpoint(build_model("linear", (6,), 2), user_models_dir() / "fine", dataset="digits")
    bad = save_checkpoint(build_model("linear", (6,), 2), user_models_dir() / "bad", dataset="digits")
    text = (bad / "config.json").read_text().replace('"created": "', '"created": 12345, "x": "')
    (bad / "config.json").write_text(text)
    entries = {e.name: e for e in list_models(user_models_dir(), broken=True)}
    assert entries["fine"].error is None and "'created' must be" in entries["bad"].error
    assert [e.name for e in list_models(user_models_dir())] == ["fine"]


# -- the pages, through AppTest -----------------------------------------------------------------


def page(path: str, **state) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in state.items():
        app.session_state[key] = value
    app.switch_page(path)
    return app.run()


def upload_through(app: AppTest, key: str, case: Case, server: Path, button: str | None = None) -> str:
    filename, data = case.make(server)
    app.file_uploader(key=key).set_value((filename, data, "application/octet-stream")).run()
    if button:
        next(b for b in app.button if b.label == button).click().run()
    assert not app.exception, app.exception
    assert len(app.error) == 1, [e.value for e in app.error]
    return app.error[0].value


def test_every_upload_page_answers_crafted_files_with_one_line(server, latent_lab_home, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_TEACHER_CODE", "profe")
    pick = {c.name: c for c in ALL}
    models = page("pages/train/models.py", owner="student-a")
    for name in ("dataset-csv-server-file", "created-number", "huge-model", "deflate64"):
        message = upload_through(models, "manage_upload", pick[name], server, "Add to my models")
        assert message.startswith("Not added:") and one_line(message), message

    train = page("pages/train/train.py", train_data="upload")
    for name in ("zip-40-flat-6300px-pngs", "npz-declares-8-gib", "csv-header-only"):
        assert one_line(upload_through(train, "train_upload", pick[name], server))

    ratings = page("pages/use/recommender.py", rec_source="upload")
    for name in ("ratings-40k-ids", "ratings-inf"):
        assert one_line(upload_through(ratings, "rec_train_file", pick[name], server))

    photo = page("pages/denoise/photo.py")
    for name in ("image-bomb-header", "image-float-nan"):
        assert one_line(upload_through(photo, "photo_upload", pick[name], server))

    assert not [p for p in user_data_dir().rglob("*") if p.is_file()] if user_data_dir().exists() else True
    assert [e.name for e in list_models(user_models_dir())] == []


def test_the_app_keeps_working_for_the_next_browser(server, latent_lab_home, monkeypatch):
    """A broken model on disk and someone else's model: a new browser lists both, can delete
    neither; the teacher deletes the broken one; every page still runs."""
    monkeypatch.setenv("LATENT_LAB_TEACHER_CODE", "profe")
    for name in ("theirs", "broken"):
        save_checkpoint(build_model("linear", (1, 8, 8), 2), user_models_dir() / name, dataset="digits")
        claim_model(name, "student-a")
    config = user_models_dir() / "broken" / "config.json"
    config.write_text(config.read_text().replace('"metrics": {', '"metrics": [1], "was": {'))

    other = page("pages/train/models.py", owner="student-b")
    assert not other.exception
    table = other.dataframe[0].value
    assert "broken" in list(table["name"]) and any(str(s).startswith("broken:") for s in table["status"])
    other.selectbox(key="manage_model").set_value("broken").run()
    assert "'metrics' must be" in other.error[0].value
    assert not [b for b in other.button if b.label == "Delete"]  # not theirs

    other.text_input(key="teacher_code_input").set_value("profe").run()
    other.selectbox(key="manage_model").set_value("broken").run()
    other.checkbox(key="manage_sure").check().run()
    next(b for b in other.button if b.label == "Delete").click().run()
    assert not other.exception and "Deleted" in other.success[0].value
    assert sorted(p.name for p in user_models_dir().iterdir() if not p.name.startswith(".")) == ["theirs"]

    overview = page("pages/explore/overview.py", model_name="theirs")
    assert not overview.exception and not overview.error


# -- the command line ---------------------------------------------------------------------------


def run_cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err.strip().splitlines()
    return code, err[-1] if err else ""


def test_the_cli_refuses_in_one_line_and_overwrites_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    model = save_checkpoint(build_model("linear", (1, 8, 8), 2), tmp_path / "model", dataset="digits")
    before = (model / "weights.safetensors").read_bytes()
    train = ("train", "--dataset", "digits", "--model", "linear", "--latent-dim", "2", "--epochs", "1")
    for args, expect in (
        ((*train, "--out", str(notes)), "already a file; pass --overwrite"),
        ((*train, "--out", str(model)), "already a model; pass --overwrite"),
        ((*train, "--lr", "inf", "--out", str(tmp_path / "x")), "lr must be a positive finite number"),
        (("train", "--dataset", "digits?n=abc", "--model", "linear", "--latent-dim", "2"), "has no option 'n'"),
        (("train", "--dataset", "digits?test=1.5", "--model", "linear", "--latent-dim", "2"), "has no option 'test'"),
        (("train", "--dataset", "shapes?n=abc", "--model", "linear", "--latent-dim", "2"), "not a valid int"),
    ):
        code, line = run_cli(capsys, *args)
        assert code == 2 and expect in line, line
    assert notes.read_text() == "mine" and (model / "weights.safetensors").read_bytes() == before

    archive = tmp_path / "model.zip"
    archive.write_bytes(zipped(fuzz_files.model_files()))
    assert main(["evaluate", str(archive)]) == 0
    assert list((tmp_path / "tmp").iterdir()) == []  # the unpacked copy is gone
    archive.write_bytes(fuzz_files._damaged_crc(tmp_path)[1])
    code, line = run_cli(capsys, "evaluate", str(archive))
    assert code == 2 and "damaged" in line and one_line(line)


def test_a_model_uploaded_with_its_browsers_data_works_for_the_next_browser(latent_lab_home):
    spec = eight_by_eight("mine.zip", upload_dir("student-a"))
    import_zip(model_zip(spec), user_models_dir() / "theirs", owner="student-a")
    app = page("pages/explore/overview.py", model_name="theirs", owner="student-b")
    assert not app.exception and not app.error, [e.value for e in app.error]


def test_an_uploaded_model_on_disk_naming_a_server_file_reads_nothing(server, latent_lab_home):
    """A model imported before these checks existed, marked as uploaded, naming a server file:
    choosing it shows one line and the file is never opened."""
    path = save_checkpoint(
        build_model("linear", (2,), 2), user_models_dir() / "old-upload", dataset=f"csv:{server}/secret.csv"
    )
    config = path / "config.json"
    config.write_text(config.read_text().replace('"extra": {}', '"extra": {"origin": "upload"}'))
    with Watch() as watch:
        app = page("pages/explore/overview.py", model_name="old-upload")
    assert not app.exception and len(app.error) == 1 and one_line(app.error[0].value)
    assert "built-in dataset" in app.error[0].value and "hunter2" not in app.error[0].value
    assert not [e for e in watch.outside(latent_lab_home, server) if e.startswith("read")]
