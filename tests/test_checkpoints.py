import io
import json
import pickle
import zipfile

import pytest
import torch

from ae_core import build_model
from ae_core.checkpoints import (
    CheckpointError,
    check_compatible,
    export_zip,
    import_zip,
    load_checkpoint,
    save_checkpoint,
)
from ae_core.checkpoints import folder as ck

SHAPE = (1, 8, 8)


@pytest.fixture
def saved(tmp_path):
    model = build_model("conv_vae", SHAPE, 3, beta=2.0, seed=0)
    save_checkpoint(model, tmp_path / "ck", dataset="digits", metrics={"mse": 0.01}, scaler=None, label_names=["a"])
    return model, tmp_path / "ck"


def test_config_holds_what_is_needed_to_rebuild(saved):
    _, path = saved
    config = json.loads((path / "config.json").read_text())
    assert config["model"] == {
        "name": "conv_vae",
        "input_shape": [1, 8, 8],
        "latent_dim": 3,
        "options": config["model"]["options"],
    }
    assert config["model"]["options"]["beta"] == 2.0
    assert config["dataset"] == "digits" and config["versions"]["torch"] == torch.__version__
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "weights.safetensors"]


def test_a_loaded_checkpoint_and_a_listed_model_carry_the_typed_config(saved, tmp_path):
    from ae_core.checkpoints.library import list_models

    _, path = saved
    parsed = load_checkpoint(path).parsed
    assert parsed.model.name == "conv_vae" and parsed.model.input_shape == SHAPE and parsed.model.latent_dim == 3
    assert parsed.dataset == "digits" and not parsed.one_class and parsed.history == []
    assert not parsed.model.denoising and parsed.origin == "local"
    history = [{"epoch": 1, "train": 0.5, "val": 0.6}]
    save_checkpoint(
        build_model("denoising", (64,), 4, seed=0),
        tmp_path / "models" / "detector",
        dataset="digits?normal=3",
        training={"history": history},
    )
    (entry,) = list_models(tmp_path / "models")
    assert entry.parsed.one_class and entry.parsed.history == history and entry.parsed.model.denoising


def test_a_crash_mid_save_leaves_the_old_checkpoint_intact(saved, monkeypatch):
    model, path = saved
    before = (path / "weights.safetensors").read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ck, "save_file", explode)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(build_model("conv_vae", SHAPE, 3, seed=5), path)
    assert (path / "weights.safetensors").read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]
    load_checkpoint(path)


def test_a_crash_between_the_renames_is_recovered(saved):
    _, path = saved
    path.rename(path.parent / f".{path.name}.old-deadbeef")
    assert load_checkpoint(path).model.registry_name == "conv_vae"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: (p / "config.json").unlink(), "has no config.json"),
        (lambda p: (p / "config.json").write_text("{not json"), "is not valid JSON"),
        (lambda p: (p / "config.json").write_text(json.dumps({"format": "keras"})), "not a Latent Lab checkpoint"),
        (lambda p: _edit(p, lambda c: c["model"].update(name="gan")), "unknown model 'gan'"),
        (lambda p: _edit(p, lambda c: c["model"].update(latent_dim=5)), "do not fit model 'conv_vae'"),
        (lambda p: _edit(p, lambda c: c["model"]["options"].update(beta=-1)), "beta must be >= 0"),
        (lambda p: (p / "weights.safetensors").write_bytes(pickle.dumps({"w": 1})), "not a readable safetensors file"),
        (lambda p: torch.save({"x": torch.zeros(1)}, p / "weights.safetensors"), "not a readable safetensors file"),
    ],
)
def test_damaged_or_foreign_checkpoints_are_refused_clearly(saved, damage, message):
    _, path = saved
    damage(path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert message in str(err.value)


def _edit(path, change):
    config = json.loads((path / "config.json").read_text())
    change(config)
    (path / "config.json").write_text(json.dumps(config))


def test_zip_round_trip(saved, tmp_path):
    model, path = saved
    data = export_zip(path)
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == ["config.json", "weights.safetensors"]
    restored = load_checkpoint(import_zip(data, tmp_path / "restored"))
    x = torch.rand(2, *SHAPE)
    torch.testing.assert_close(restored.model.encode(x), model.eval().encode(x))
    (tmp_path / "dl.zip").write_bytes(data)
    assert load_checkpoint(tmp_path / "dl.zip").model.latent_dim == 3


def zip_of(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"config.json": "{}", "weights.safetensors": b"", "model.pkl": b"x"}, "'model.pkl'; only config.json"),
        ({"../config.json": "{}", "weights.safetensors": b""}, "'../config.json'"),
        ({"config.json": "{}"}, "missing weights.safetensors"),
        ({"config.json": "{}", "weights.safetensors": b"x"}, "not a Latent Lab checkpoint"),
    ],
)
def test_bad_uploaded_zips_are_refused_and_nothing_is_written(tmp_path, files, message):
    with pytest.raises(CheckpointError) as err:
        import_zip(zip_of(files), tmp_path / "dest")
    assert message in str(err.value)
    assert not (tmp_path / "dest").exists()


def test_not_a_zip(tmp_path):
    with pytest.raises(CheckpointError, match="not a readable zip file"):
        import_zip(b"plain bytes", tmp_path / "dest")


def test_checkpoint_that_does_not_fit_the_data(saved):
    _, path = saved
    with pytest.raises(
        CheckpointError, match=r"expects inputs of shape \(1, 8, 8\) but dataset 'mnist' has shape \(1, 28, 28\)"
    ):
        check_compatible(load_checkpoint(path).config, (1, 28, 28), "dataset 'mnist'")
