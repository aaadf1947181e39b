"""The denoiser's training data: a fixed held-out list, augmented patches, camera noise in training."""

import numpy as np
import pytest
import torch

from ae_core.apps.denoiser_training import eight_bit_noisy, photo_files, split_held_out, training_patches
from ae_core.data.images import encode_png
from ae_core.models import build_model


def test_the_held_out_list_is_fixed_and_disjoint(tmp_path):
    for i in range(30):
        (tmp_path / f"crop_{i:03d}.png").write_bytes(encode_png(np.full((8, 8, 1), i / 30, np.float32)))
    files = photo_files(tmp_path)
    train, held = split_held_out(files, count=5)
    assert (train, held) == split_held_out(photo_files(tmp_path), count=5)
    assert len(held) == 5 and not set(train) & set(held) and len(train) + len(held) == 30
    with pytest.raises(ValueError, match="held-out count must be in"):
        split_held_out(files, count=30)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no photos"):
        photo_files(tmp_path / "empty")


def test_patches_are_augmented_crops_and_noisy_copies_are_8_bit():
    image = np.arange(20 * 20, dtype=np.float32).reshape(20, 20, 1) / 400
    patches = training_patches([image], 50, 8, seed=0)
    assert patches.shape == (50, 1, 8, 8)
    assert len({p.tobytes() for p in patches}) > 40
    noisy = eight_bit_noisy(image, 0.1, seed=0)
    np.testing.assert_allclose(noisy * 255, np.round(noisy * 255), atol=1e-4)
    assert noisy.min() >= 0 and noisy.max() <= 1


def test_training_with_camera_noise_gives_a_finite_differentiable_loss():
    model = build_model("photo_denoiser", (1, 16, 16), 8, depth=3, seed=0, camera_noise=1.0)
    x = torch.rand(4, 1, 16, 16)
    loss = model.training_loss(x, torch.Generator().manual_seed(0))["loss"]
    loss.backward()
    assert torch.isfinite(loss) and model.encoder[0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="camera_noise is a fraction"):
        build_model("photo_denoiser", (1, 16, 16), 8, camera_noise=2.0)


def test_a_camera_pool_is_made_the_same_on_any_number_of_processes_and_is_trained_on():
    from ae_core.models.camera_noise import camera_pairs

    patches = np.random.default_rng(0).random((600, 1, 16, 16), dtype=np.float32)  # two chunks
    references, noisy = camera_pairs(patches, seed=3, workers=1)
    again = camera_pairs(patches, seed=3, workers=2)
    np.testing.assert_array_equal(noisy, again[1])
    np.testing.assert_array_equal(references, again[0])
    assert np.abs(noisy - references).mean() > 1e-3  # noise is there
    model = build_model("photo_denoiser", (1, 16, 16), 8, depth=3, seed=0, camera_noise=1.0)
    # Every patch is a camera patch: the loss is the network's error on the pool's pairs, whatever x is.
    model.use_camera_pool(references, noisy)
    g = torch.Generator().manual_seed(0)
    first = model.training_loss(torch.zeros(8, 1, 16, 16), g)["loss"]
    second = model.training_loss(torch.ones(8, 1, 16, 16), torch.Generator().manual_seed(0))["loss"]
    assert torch.isfinite(first) and float(first) == pytest.approx(float(second))
    with pytest.raises(ValueError, match=r"camera pairs must both be \(N, \*\(1, 16, 16\)\)"):
        model.use_camera_pool(references[:, :, :8], noisy[:, :, :8])
