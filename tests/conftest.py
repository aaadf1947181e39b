import numpy as np
import pytest
import torch

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
