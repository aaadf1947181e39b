import numpy as np
import pytest
import torch

from ae_core.models.noise import NOISE_KINDS, add_noise, occlude


def test_gaussian_noise_has_the_asked_sigma():
    x = torch.full((20_000,), 0.5)
    noisy = add_noise(x, "gaussian", 0.1, seed=0)
    assert float((noisy - x).std()) == pytest.approx(0.1, rel=0.05)


@pytest.mark.parametrize("kind", ["masking", "salt_pepper"])
def test_masking_and_salt_pepper_hit_the_asked_fraction(kind):
    x = torch.full((20_000,), 0.5)
    changed = (add_noise(x, kind, 0.3, seed=1) != 0.5).float().mean()
    assert float(changed) == pytest.approx(0.3, abs=0.02)


def test_poisson_noise_std_at_full_intensity_matches_the_level():
    x = torch.ones(20_000)
    assert float(add_noise(x, "poisson", 0.2, seed=2, clip=False).std()) == pytest.approx(0.2, rel=0.1)


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noise_is_seeded_and_stays_in_range(kind):
    x = np.random.default_rng(0).random((4, 1, 16, 16)).astype(np.float32)
    a, b = add_noise(x, kind, 0.3, seed=5), add_noise(x, kind, 0.3, seed=5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    assert not np.array_equal(a, add_noise(x, kind, 0.3, seed=6))


def test_random_and_placed_occlusion_boxes():
    x = np.ones((3, 1, 10, 10), np.float32)
    boxed = add_noise(x, "occlusion", 0.5, seed=0)
    assert ((boxed == 0).reshape(3, -1).sum(axis=1) == 25).all()
    placed = occlude(x[0], top=2, left=3, height=4, width=5)
    assert (placed == 0).sum() == 20 and placed[0, 2, 3] == 0 and x[0, 0, 2, 3] == 1


def test_bad_noise_settings():
    with pytest.raises(ValueError, match="noise kind must be one of"):
        add_noise(np.zeros(3), "pink", 0.1)
    with pytest.raises(ValueError, match=r"noise level must be in \[0, 1\], got 2"):
        add_noise(np.zeros(3), "gaussian", 2)
