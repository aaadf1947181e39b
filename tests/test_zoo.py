"""Saved models: listing, renaming, deleting, and uploaded datasets."""

import io

import numpy as np
import pytest

from ae_core.checkpoints import save_checkpoint
from ae_core.checkpoints.library import delete_model, list_models, rename_model
from ae_core.data import store_upload
from ae_core.models import MODELS, build_model
from ae_core.models.guide import OPTION_GUIDE, option_fields
from ae_core.system.paths import user_models_dir


@pytest.fixture
def saved(latent_lab_home):
    folder = user_models_dir()
    save_checkpoint(build_model("linear", (6,), 2, seed=0), folder / "mine", dataset="digits")
    return folder


def test_saved_models_are_listed_renamed_and_deleted(saved):
    assert [e.name for e in list_models(saved)] == ["mine"]
    rename_model("mine", "renamed")
    assert [e.name for e in list_models(saved)] == ["renamed"]
    delete_model("renamed")
    assert list_models(saved) == []
    assert list(saved.iterdir()) == []


def test_rename_refuses_taken_and_bad_names_and_keeps_the_model(saved):
    save_checkpoint(build_model("linear", (6,), 2, seed=0), saved / "other")
    for bad, message in (("other", "already exists"), ("../escape", "not allowed"), ("", "not allowed")):
        with pytest.raises(ValueError, match=message):
            rename_model("mine", bad)
    assert sorted(e.name for e in list_models(saved)) == ["mine", "other"]
    with pytest.raises(ValueError, match="no saved model named 'ghost'"):
        delete_model("ghost")


def test_uploaded_datasets_are_kept_once_and_bad_ones_not_at_all(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, x=np.random.default_rng(0).random((50, 4)), y=np.arange(50) % 2)
    first = store_upload(buffer.getvalue(), "my table.npz", tmp_path)
    again = store_upload(buffer.getvalue(), "my table.npz", tmp_path)
    assert first.spec == again.spec and first.shape == (4,)
    assert len(list(tmp_path.iterdir())) == 1
    with pytest.raises(ValueError, match="'broken.csv'"):
        store_upload(b"a,b\n1,hello\n", "broken.csv", tmp_path)
    with pytest.raises(ValueError, match="upload a .zip, .npz, .csv file"):
        store_upload(b"x", "notes.txt", tmp_path)
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_option_is_explained(name):
    records = option_fields(MODELS[name])
    assert records and all(r["help"] for r in records), [r["name"] for r in records if not r["help"]]
    for record in records:
        if record["choices"]:
            assert record["default"] in record["choices"]
    assert set(OPTION_GUIDE) >= {r["name"] for r in records}


def test_listing_recovers_an_interrupted_save_and_cleans_leftovers(saved):
    import os
    import time

    from ae_core.checkpoints.library import SWAP_SECONDS, tidy

    os.replace(saved / "mine", saved / ".mine.old-1a2b3c4d")  # killed between a save's two renames
    (saved / ".mine.tmp-abc").mkdir()
    (saved / ".other.deleted-77").mkdir()
    assert list_models(saved) == []  # too fresh to tell from a save in progress
    tidy(saved, now=time.time() + SWAP_SECONDS + 600)
    assert [e.name for e in list_models(saved)] == ["mine"]
    assert sorted(p.name for p in saved.iterdir()) == ["mine"]


def test_only_the_owner_or_the_teacher_may_manage_a_saved_model(saved):
    from ae_core.checkpoints.library import PRETRAINED_DIR, claim_model, may_manage

    entry = list_models(saved)[0]
    assert not may_manage(entry, "browser-a") and may_manage(entry, "", teacher=True)
    claim_model("mine", "browser-a")
    assert may_manage(entry, "browser-a") and not may_manage(entry, "browser-b")
    rename_model("mine", "theirs")
    assert may_manage(list_models(saved)[0], "browser-a")  # ownership follows a rename
    shipped = list_models(PRETRAINED_DIR)[0]
    assert not may_manage(shipped, "browser-a", teacher=True)
