"""Synthetic camera noise: signal-dependent, per channel, spatially correlated, 8-bit, JPEG."""

import numpy as np
import pytest

from ae_core.models.camera_noise import CameraNoise, add_camera_noise, camera_pair, demosaic, mosaic, random_camera

FLAT = CameraNoise(shot=2e-3, read=1e-5, jpeg_quality=None)


def flat(value, size=64, channels=3):
    return np.full((size, size, channels), value, np.float32)


def test_noise_is_seeded_quantized_clipped_and_keeps_the_shape():
    image = np.random.default_rng(0).random((31, 40, 3), dtype=np.float32)
    a = add_camera_noise(image, FLAT, np.random.default_rng(1))
    b = add_camera_noise(image, FLAT, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == image.shape and a.min() >= 0 and a.max() <= 1
    np.testing.assert_allclose(a[:30, :40] * 255, np.round(a[:30, :40] * 255), atol=1e-4)  # 8-bit steps


def test_brighter_pixels_get_more_noise_and_channels_differ():
    rng = np.random.default_rng(0)
    dark = add_camera_noise(flat(0.2), FLAT, rng) - 0.2
    bright = add_camera_noise(flat(0.7), FLAT, rng) - 0.7
    # In linear raw data the variance grows with the signal (Poisson); sRGB's gamma compresses it.
    assert bright[8:-8, 8:-8].std() > 1.2 * dark[8:-8, 8:-8].std() * (0.2 / 0.7) ** (1 - 1 / 2.2)
    per_channel = bright[8:-8, 8:-8].std(axis=(0, 1))
    assert per_channel[0] > 1.1 * per_channel[1]  # red's white-balance gain amplifies its noise


def test_demosaicing_makes_the_noise_spatially_correlated():
    noise = add_camera_noise(flat(0.5, 128), FLAT, np.random.default_rng(0))[8:-8, 8:-8, 1] - 0.5
    neighbours = np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]
    assert neighbours > 0.2  # white noise: about 0


def test_jpeg_changes_the_noise_and_gray_stays_gray():
    image = flat(0.5, channels=1)
    plain = add_camera_noise(image, FLAT, np.random.default_rng(0))
    compressed = add_camera_noise(image, CameraNoise(2e-3, 1e-5, jpeg_quality=50), np.random.default_rng(0))
    assert plain.shape == compressed.shape == image.shape
    assert compressed.std() < plain.std()


def test_the_reference_is_the_same_processing_without_noise():
    image = np.random.default_rng(0).random((32, 32, 3), dtype=np.float32)
    reference, noisy = camera_pair(image, CameraNoise(1e-2, 1e-4, jpeg_quality=None), np.random.default_rng(0))
    quiet_reference, quiet = camera_pair(image, CameraNoise(0, 0, jpeg_quality=None), np.random.default_rng(0))
    np.testing.assert_allclose(reference, quiet_reference)
    np.testing.assert_allclose(quiet, reference, atol=0.5 / 255 + 1e-6)  # only 8-bit rounding apart
    assert np.abs(noisy - reference).mean() > 5 / 255


def test_mosaic_and_demosaic_round_trip_a_flat_colour():
    rgb = np.broadcast_to(np.array([0.2, 0.5, 0.8], np.float32), (8, 8, 3)).copy()
    np.testing.assert_allclose(demosaic(mosaic(rgb)), rgb, atol=1e-6)


def test_random_cameras_follow_the_published_ranges_and_bad_settings_are_named():
    cameras = [random_camera(np.random.default_rng(i)) for i in range(50)]
    assert all(1e-4 <= c.shot <= 1.2e-2 and 1.9 <= c.red_gain <= 2.4 for c in cameras)
    assert any(c.jpeg_quality is None for c in cameras) and any(c.jpeg_quality for c in cameras)
    with pytest.raises(ValueError, match="shot and read noise must be >= 0"):
        CameraNoise(shot=-1)
    with pytest.raises(ValueError, match="jpeg_quality must be in"):
        CameraNoise(jpeg_quality=0)
    with pytest.raises(ValueError, match=r"\(H, W, 1\) or \(H, W, 3\)"):
        add_camera_noise(np.zeros((8, 8, 2)), FLAT, np.random.default_rng(0))
