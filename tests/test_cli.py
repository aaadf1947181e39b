import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ae_core import MODELS
from ae_core.checkpoints import load_checkpoint
from ae_core.cli import main
from ae_core.data import DATASETS

ROOT = Path(__file__).resolve().parents[1]


def test_a_time_budget_alone_trains_until_the_clock_says_stop(tmp_path, capsys):
    # "--max-minutes 0.03" and no --epochs: not the default 20 epochs, but as many as fit in ~2 s,
    # with the learning rate decayed by the clock (the README's 10-minute MNIST recipe).
    out = tmp_path / "run"
    args = ["train", "--dataset", "digits", "--model", "vanilla", "--latent-dim", "8", "--threads", "1"]
    assert main([*args, "--max-minutes", "0.03", "--batch-size", "1024", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["stopped"] == "time_budget"
    assert "epoch 1  train" in captured.err and "epoch 1/" not in captured.err
    history = load_checkpoint(out).config["training"]["history"]
    assert history[-1]["lr"] < 0.2 * history[0]["lr"]  # the cosine reached its tail with the clock


def test_weight_decay_and_precision_reach_the_run_and_a_bad_precision_is_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--dataset", "digits", "--model", "conv", "--latent-dim", "8", "--epochs", "1", "--threads", "1"]
    assert main([*args, "--weight-decay", "0.05", "--precision", "bfloat16", "--out", str(out)]) == 0
    request = load_checkpoint(out).config["extra"]["request"]
    assert (request["weight_decay"], request["precision"]) == (0.05, "bfloat16")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--precision", "half"])
    assert exit_.value.code == 2
    assert "invalid choice: 'half' (choose from 'float32', 'bfloat16')" in capsys.readouterr().err.splitlines()[-1]


def test_models_and_datasets_are_listed_one_per_line(capsys):
    assert main(["models"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == list(MODELS)
    assert main(["datasets"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == list(DATASETS)


def test_train_then_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--dataset",
            "digits",
            "--model",
            "sparse",
            "--latent-dim",
            "16",
            "--epochs",
            "2",
            "--sparsity",
            "l1",
            "--sparsity-weight",
            "0.01",
            "--threads",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["out"] == str(out) and summary["epochs_run"] == 2
    assert "epoch 2/2" in captured.err
    checkpoint = load_checkpoint(out)
    assert checkpoint.model.options.sparsity == "l1"
    assert checkpoint.metrics["sse_per_sample"] == pytest.approx(summary["test"]["sse_per_sample"])
    assert main(["evaluate", str(out)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"sse_per_sample", "mse", "bce"} <= set(metrics)
    assert metrics["sse_per_sample"] == pytest.approx(summary["test"]["sse_per_sample"], rel=1e-6)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--dataset", "digits", "--model", "gan", "--latent-dim", "2"], "unknown model 'gan'"),
        (["train", "--dataset", "nope", "--model", "deep", "--latent-dim", "2"], "unknown dataset 'nope'"),
        (
            ["train", "--dataset", "digits", "--model", "vae", "--latent-dim", "2", "--beta", "x"],
            "could not convert string to float: 'x'",
        ),
        (
            ["train", "--dataset", "digits", "--model", "deep", "--latent-dim", "2", "--beta", "2"],
            "unknown option(s) ['beta'] for model 'deep'",
        ),
        (["evaluate", "/no/such/checkpoint"], "does not exist"),
    ],
)
def test_errors_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_evaluate_refuses_data_of_another_shape(tmp_path, capsys):
    main(
        [
            "train",
            "--dataset",
            "digits",
            "--model",
            "linear",
            "--latent-dim",
            "2",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "m"),
            "--threads",
            "1",
        ]
    )
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "m"), "--dataset", "shapes?n=20"]) == 2
    assert "expects inputs of shape (1, 8, 8)" in capsys.readouterr().err


def test_python_dash_m_entry_point(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ae_core", "evaluate", str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_torchrun_trains_with_two_cpu_processes(tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "ae_core",
        "train",
        "--dataset",
        "digits",
        "--model",
        "conv",
        "--latent-dim",
        "4",
        "--epochs",
        "2",
        "--threads",
        "1",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summaries = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1 and summaries[0]["epochs_run"] == 2  # only rank 0 reports and saves
    checkpoint = load_checkpoint(out)
    assert checkpoint.config["training"]["epoch"] == 2
    assert not any(k.startswith("module.") for k in checkpoint.model.state_dict())


def test_non_finite_loss_stops_training_and_keeps_the_best_epoch(tmp_path, capsys, monkeypatch):
    """A learning rate that blows up after a good first epoch: the run stops with a message and
    the saved model is the last finite one, not NaN weights."""
    from ae_core.train import loop as training

    real, calls = training.learning_rate, []

    def exploding(lr, schedule, progress):
        calls.append(1)
        return real(lr, schedule, progress) if len(calls) <= 15 else 1e30

    monkeypatch.setattr(training, "learning_rate", exploding)
    args = "train --dataset digits --model deep --latent-dim 2 --epochs 3 --threads 1 --out".split()
    code = main([*args, str(tmp_path / "run")])
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and "NaN or infinite" in line and "best epoch (1)" in line, line
    checkpoint = load_checkpoint(tmp_path / "run")
    assert all(torch.isfinite(p).all() for p in checkpoint.model.parameters())
    assert checkpoint.config["training"]["stopped"] == "non_finite"


def test_an_interrupted_run_is_saved_as_interrupted_and_out_needs_overwrite(tmp_path, capsys, monkeypatch):
    from ae_core.checkpoints import parse_config
    from ae_core.train import loop as training

    real = training.evaluate_loss

    def interrupt_in_epoch_two(model, x, *args, **kwargs):
        if len(interrupt_in_epoch_two.calls) == 1:
            raise KeyboardInterrupt
        interrupt_in_epoch_two.calls.append(1)
        return real(model, x, *args, **kwargs)

    interrupt_in_epoch_two.calls = []
    monkeypatch.setattr(training, "evaluate_loss", interrupt_in_epoch_two)
    out = str(tmp_path / "run")
    args = "train --dataset digits --model linear --latent-dim 2 --epochs 5 --threads 1 --out".split()
    assert main([*args, out]) == 130
    assert "interrupted after epoch 1 of 5" in capsys.readouterr().err
    assert parse_config(out).status() == "interrupted (epoch 1 of 5)"
    monkeypatch.setattr(training, "evaluate_loss", real)
    assert main([*args, out]) == 2 and "--overwrite" in capsys.readouterr().err
    assert main([*args, out, "--resume", out]) == 0
    assert parse_config(out).status() == "completed"
    assert main([*args, out, "--overwrite", "--epochs", "1"]) == 0
