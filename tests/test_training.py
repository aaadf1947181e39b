import dataclasses
import threading

import numpy as np
import pytest
import torch

from ae_core import build_model
from ae_core.checkpoints import load_checkpoint
from ae_core.train.checkpointing import resume_from, save_best_to
from ae_core.train.loop import fit

SHAPE = (1, 12, 12)


def test_training_reduces_the_loss_and_keeps_the_best_epoch(tiny_images):
    model = build_model("deep", SHAPE, 4, hidden_dims=(32,), seed=0)
    result = fit(model, tiny_images, epochs=30, batch_size=8, lr=3e-3, threads=1)
    val = [row["val"]["loss"] for row in result.history]
    assert val[-1] < 0.8 * val[0]
    assert result.best_val_loss == pytest.approx(min(val))
    assert result.history[result.best_epoch - 1]["val"]["loss"] == result.best_val_loss
    assert result.stopped == "completed"


def test_runs_repeat_exactly_with_the_same_seed(tiny_images):
    histories = []
    for _ in range(2):
        model = build_model("denoising", SHAPE, 4, hidden_dims=(16,), seed=3)
        histories.append(fit(model, tiny_images, epochs=3, batch_size=8, seed=5, threads=1).history)
    assert [h["val"] for h in histories[0]] == [h["val"] for h in histories[1]]
    other = build_model("denoising", SHAPE, 4, hidden_dims=(16,), seed=3)
    assert (
        fit(other, tiny_images, epochs=3, batch_size=8, seed=6, threads=1).history[-1]["val"] != histories[0][-1]["val"]
    )


@pytest.mark.parametrize("name, options", [("conv", {}), ("vae", {"hidden_dims": (16,)})])
def test_bfloat16_training_learns_as_float32_does(tiny_images, name, options):
    """Layers under bfloat16 autocast, losses and validation in float32: the same run reaches
    about the same validation loss, and what it reports is float32 (an epoch's sums stay exact)."""
    results = {}
    for precision in ("float32", "bfloat16"):
        model = build_model(name, SHAPE, 4, seed=0, **options)
        layer = next(m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
        computed = set()
        layer.register_forward_hook(
            lambda module, args, out, seen=computed: seen.add(out.dtype) if module.training else None
        )
        batches = []
        results[precision] = fit(
            model, tiny_images, epochs=15, batch_size=8, precision=precision, threads=1, on_batch=batches.append
        )
        assert computed == {getattr(torch, precision)}  # the training steps' layers ran in that precision
        assert all(isinstance(b.loss, float) for b in batches)
        assert next(model.parameters()).dtype == torch.float32
    first, last = (results["bfloat16"].history[i]["val"]["loss"] for i in (0, -1))
    assert last < 0.8 * first
    assert results["bfloat16"].best_val_loss == pytest.approx(results["float32"].best_val_loss, rel=0.1)


def test_stop_event_ends_training_within_one_batch(tiny_images):
    stop = threading.Event()
    batches = []

    def on_batch(info):
        batches.append(info)
        if len(batches) == 7:
            stop.set()

    model = build_model("deep", SHAPE, 4, hidden_dims=(16,))
    result = fit(model, tiny_images, epochs=100, batch_size=4, stop_event=stop, on_batch=on_batch, threads=1)
    assert len(batches) == 7
    assert result.stopped == "stop_event"
    assert result.epochs_run == 1


def test_stop_keeps_the_best_weights(tiny_images, tmp_path):
    model = build_model("deep", SHAPE, 4, hidden_dims=(16,), seed=0)
    stop = threading.Event()
    saved = {}

    def on_epoch(info):
        if info.best:
            saved["state"] = {k: v.clone() for k, v in model.state_dict().items()}
        if info.epoch == 4:
            stop.set()

    result = fit(
        model,
        tiny_images,
        epochs=50,
        batch_size=8,
        lr=5e-2,
        stop_event=stop,
        on_epoch=on_epoch,
        on_improve=save_best_to(tmp_path / "best"),
        threads=1,
    )
    assert result.stopped == "stop_event"
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, saved["state"][key])
    on_disk = load_checkpoint(tmp_path / "best")
    assert on_disk.config["training"]["best_epoch"] == result.best_epoch
    for key, value in on_disk.model.state_dict().items():
        torch.testing.assert_close(value, saved["state"][key])


def test_time_budget_stops_the_run(tiny_images):
    model = build_model("deep", SHAPE, 4)
    result = fit(model, tiny_images, epochs=100_000, batch_size=4, max_minutes=0.02, threads=1)
    assert result.stopped == "time_budget"
    assert 1.0 <= result.seconds < 5


def test_early_stopping_after_patience(tiny_images):
    model = build_model("deep", SHAPE, 4)
    result = fit(model, tiny_images, epochs=500, batch_size=8, lr=0.5, patience=3, threads=1)
    assert result.stopped == "early_stopping"
    assert result.epochs_run == result.best_epoch + 3


def test_callbacks_report_progress(tiny_images):
    batches, epochs = [], []
    model = build_model("vae", SHAPE, 2, hidden_dims=(16,))
    fit(model, tiny_images, epochs=3, batch_size=10, on_batch=batches.append, on_epoch=epochs.append, threads=1)
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert {"loss", "recon", "kl"} <= set(epochs[0].train) and {"loss", "recon", "kl"} <= set(epochs[0].val)
    assert batches[-1].eta == pytest.approx(0.0, abs=1e-9) and batches[0].eta > 0
    assert batches[0].batches == len(batches) // 3


def test_resume_continues_where_it_stopped(tiny_images, tmp_path):
    model = build_model("deep", SHAPE, 4, seed=0)
    fit(model, tiny_images, epochs=3, batch_size=8, on_improve=save_best_to(tmp_path / "ck"), threads=1)
    resumed = build_model("deep", SHAPE, 4, seed=99)
    result = fit(
        resumed,
        tiny_images,
        epochs=5,
        batch_size=8,
        resume=resume_from(tmp_path / "ck"),
        on_improve=save_best_to(tmp_path / "ck"),
        threads=1,
    )
    assert [row["epoch"] for row in result.history] == [1, 2, 3, 4, 5]
    assert result.epochs_run == 5


def test_resume_refuses_another_model(tiny_images, tmp_path):
    fit(build_model("deep", SHAPE, 4), tiny_images, epochs=1, on_improve=save_best_to(tmp_path / "ck"), threads=1)
    with pytest.raises(ValueError, match="cannot resume a 'vae' model from a 'deep' checkpoint"):
        fit(build_model("vae", SHAPE, 4), tiny_images, epochs=2, resume=resume_from(tmp_path / "ck"), threads=1)


def test_training_never_prints(tiny_images, capsys):
    fit(build_model("contractive", SHAPE, 4), tiny_images, epochs=2, threads=1)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"lr": -1.0}, "lr must be a positive"),
        ({"val_fraction": 1.0}, "val_fraction must be in (0, 1)"),
        ({"schedule": "step"}, "schedule must be 'cosine' or 'constant'"),
        ({"patience": 0}, "patience must be at least 1"),
        ({"max_minutes": 0}, "max_minutes must be positive"),
        ({"precision": "float16"}, "precision must be 'float32' or 'bfloat16', got 'float16'"),
        ({"device": "tpu"}, "device must be one of"),
        ({"threads": 0}, "threads must be at least 1"),
    ],
)
def test_invalid_training_settings(tiny_images, kwargs, message):
    with pytest.raises(ValueError) as err:
        fit(build_model("deep", SHAPE, 4), tiny_images, **kwargs)
    assert message in str(err.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_missing_gpu_is_a_clear_error(tiny_images):
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        fit(build_model("deep", SHAPE, 4), tiny_images, device="cuda", threads=1)


def test_data_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"samples of shape \(1, 8, 8\), the model expects \(1, 12, 12\)"):
        fit(build_model("deep", SHAPE, 4), np.zeros((10, 1, 8, 8), np.float32))


def test_threads_are_set_on_purpose(tiny_images):
    from ae_core.train.runtime import available_cores

    torch.set_num_threads(3)  # not what the tests run with (conftest sets 1), nor what is asked for
    try:
        fit(build_model("deep", SHAPE, 4), tiny_images, epochs=1, threads=1)
        assert torch.get_num_threads() == 1
        torch.set_num_threads(3)
        fit(build_model("deep", SHAPE, 4), tiny_images, epochs=1, threads=2)
        assert torch.get_num_threads() == 2
        fit(build_model("deep", SHAPE, 4), tiny_images, epochs=1)  # default: every core this process may use
        assert torch.get_num_threads() == available_cores()
    finally:
        torch.set_num_threads(1)


def test_settings_are_one_frozen_dataclass_with_one_set_of_defaults():
    from ae_core.cli import _parser
    from ae_core.cli.train import settings_from
    from ae_core.train.settings import UNTIL_BUDGET, TrainingSettings

    defaults = TrainingSettings()
    command = "train --dataset digits --model deep --latent-dim 2"
    assert settings_from(_parser().parse_args(command.split())) == defaults
    # A time budget alone: the clock, not the default epoch count, ends the run.
    timed = settings_from(_parser().parse_args([*command.split(), "--max-minutes", "10"]))
    assert timed == defaults.replace(epochs=UNTIL_BUDGET, max_minutes=10.0)
    both = settings_from(_parser().parse_args([*command.split(), "--max-minutes", "10", "--epochs", "5"]))
    assert both.epochs == 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        defaults.epochs = 3
    with pytest.raises(ValueError, match=r"unknown training setting\(s\) \['epoch'\]"):
        defaults.replace(epoch=3)
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0, got -1"):
        TrainingSettings(weight_decay=-1)


def test_a_request_saved_by_an_older_version_still_reads():
    from ae_core.train.request import TrainingRequest

    old = {  # extra.request of a checkpoint written before the settings had their own class
        "dataset": "digits",
        "model": "deep",
        "latent_dim": 4,
        "options": {},
        "epochs": 30,
        "batch_size": 64,
        "lr": 0.003,
        "patience": None,
        "max_minutes": 2.5,
        "seed": 7,
        "map_every": 2,
        "save_epochs": [10, 20],
    }
    request = TrainingRequest.from_dict(old)
    assert (request.settings.epochs, request.settings.batch_size, request.settings.max_minutes) == (30, 64, 2.5)
    assert request.settings.seed == 7 and request.save_epochs == (10, 20)
    assert TrainingRequest.from_dict(request.as_dict()) == request
    assert {k: request.as_dict()[k] for k in old} == old
    with pytest.raises(ValueError, match=r"unknown training request field\(s\) \['colour'\]"):
        TrainingRequest.from_dict({**old, "colour": "red"})
