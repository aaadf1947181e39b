"""The noise lab's library side: which models it pairs, how it corrupts, what it measures."""

import numpy as np
import pytest

from ae_core import build_model
from ae_core.apps.noise_lab import batch_quality, compare_on, corrupt, lab_models, psnr_against_noise, sweep_levels
from ae_core.checkpoints.library import list_models
from ae_core.models.noise import add_noise


def test_the_lab_pairs_plain_and_denoising_models_of_the_same_data():
    plain, denoising = lab_models(list_models(), "digits")
    assert denoising == ["digits-denoising"]
    assert "digits-plain-16" in plain and "digits-conv" in plain and "digits-denoising" not in plain
    assert not any(name.startswith("mnist") for name in plain)
    # The photo denoiser is trained with noise too, but on photos: never offered for digits or photos.
    everything = [
        name for names in lab_models(list_models(), "photos?patch=40&n=60000&color=0&seed=0") for name in names
    ]
    assert everything == []
    assert lab_models(list_models(), "no-such-data") == ([], [])


def test_occlusion_goes_where_it_is_placed_and_other_noise_is_seeded(rng):
    clean = rng.random((2, 1, 10, 10)).astype(np.float32) * 0.5 + 0.25
    boxed = corrupt(clean, "occlusion", 0.3, corner=(2, 5))
    assert (boxed[..., 2:5, 5:8] == 0).all()
    outside = np.ones((10, 10), bool)
    outside[2:5, 5:8] = False
    np.testing.assert_array_equal(boxed[..., outside], clean[..., outside])
    np.testing.assert_array_equal(corrupt(clean, "gaussian", 0.2, seed=3), add_noise(clean, "gaussian", 0.2, seed=3))
    assert not np.array_equal(corrupt(clean, "gaussian", 0.2, seed=3), corrupt(clean, "gaussian", 0.2, seed=4))


def test_the_side_by_side_scores_each_output_against_the_clean_input(rng):
    clean = rng.random((1, 1, 8, 8)).astype(np.float32)
    noisy = corrupt(clean, "gaussian", 0.3, seed=0)
    model = build_model("vanilla", (1, 8, 8), 4, seed=0)
    shown = compare_on({"plain": model}, clean, noisy)
    assert list(shown) == ["clean", "noisy", "plain"] and shown["clean"][1] is None
    assert shown["noisy"][1] == batch_quality(clean, noisy)
    reconstruction, scores = shown["plain"]
    assert reconstruction.min() >= 0 and reconstruction.max() <= 1
    assert scores == pytest.approx(batch_quality(clean, model.reconstruct(noisy)))


def test_the_sweep_loses_psnr_as_noise_grows(rng):
    levels = sweep_levels("gaussian")
    assert (
        len(levels) == 10 and levels[-1] == pytest.approx(0.9) and sweep_levels("occlusion")[-1] == pytest.approx(0.6)
    )
    x = rng.random((4, 1, 8, 8)).astype(np.float32)
    curves = psnr_against_noise({"plain": build_model("vanilla", (1, 8, 8), 4, seed=0)}, x, "gaussian", levels[::3])
    assert list(curves) == ["noisy input", "plain"] and all(len(v) == 4 for v in curves.values())
    assert np.all(np.diff(curves["noisy input"]) < 0)
