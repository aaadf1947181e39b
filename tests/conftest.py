import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from ae_core.train import worker

# Two cores: tests use one torch thread each so pytest and a background server never fight.
torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def tiny_images(rng):
    """Forty 1x12x12 images in [0, 1] with some structure (blobs) so models can learn them."""
    yy, xx = np.mgrid[0:12, 0:12]
    centres = rng.uniform(3, 9, size=(40, 2))
    images = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 6.0)
    return images[:, None].astype(np.float32)


@pytest.fixture(autouse=True)
def latent_lab_home(tmp_path, monkeypatch):
    """Every test saves models and data in its own empty home, never in the user's."""
    home = tmp_path / "latent-lab-home"
    monkeypatch.setenv("LATENT_LAB_HOME", str(home))
    return home


# Two epochs of three batches, an epoch's preview and map, then batches until "stop" arrives.
FAKE_TRAINING = textwrap.dedent(
    """
    import json, sys, threading, time
    sys.stdin.readline()
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    send = lambda kind, payload: print(json.dumps([kind, payload]), flush=True)
    batch = lambda e, b: send("batch", dict(epoch=e, batch=b, batches=3, loss=1.0 / e, elapsed=0.1, eta=5.0))
    for b in (1, 2, 3):
        batch(1, b)
    preview = [[[[[0.5] * 8] * 8]] * 8] * 2
    send("epoch", dict(epoch=1, train_loss=1.0, preview=preview, map=dict(points=[[0, 1], [2, 3]], labels=[0, 1])))
    while not stop.wait(0.05):
        batch(2, 1)
    send("done", dict(stopped="stop_event", epochs_run=1, best_epoch=1, seconds=0.5))
    """
)


@pytest.fixture
def fake_training(monkeypatch):
    """The queue's training process replaced by a few lines of Python speaking its protocol (fast: no torch)."""

    def start(setup):
        process = subprocess.Popen(
            [sys.executable, "-c", FAKE_TRAINING], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        process.stdin.write("{}\n")
        process.stdin.flush()
        return process

    monkeypatch.setattr(worker, "start_worker", start)
