"""Photo denoising: noise estimation, tiling, the shipped network's gain, the CLI, bad inputs."""

import json

import numpy as np
import pytest
import torch

from ae_core.checkpoints import load_checkpoint
from ae_core.cli import main
from ae_core.denoise import classical, denoise_image, noise_level, noisy_copy, quality
from ae_core.images import encode_png, read_image
from ae_core.models import build_model
from ae_core.models.denoiser import estimate_noise
from ae_core.zoo import PRETRAINED_DIR

SHIPPED = PRETRAINED_DIR / "photo-denoiser"


def synthetic_photo(size=200, channels=1):
    """Smooth shading, hard edges and a few textures: something like a photo, with known truth."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    image = 0.3 + 0.4 * xx * yy
    image = np.where((xx - 0.5) ** 2 + (yy - 0.45) ** 2 < 0.06, 0.85, image)
    image = np.where((xx > 0.1) & (xx < 0.3) & (yy > 0.6), 0.15 + 0.05 * np.sin(40 * xx), image)
    planes = [image * (0.8 + 0.1 * c) for c in range(channels)]
    return np.stack(planes, axis=2).astype(np.float32)


@pytest.mark.parametrize("sigma", [5 / 255, 25 / 255, 50 / 255])
def test_noise_estimate_is_close_to_the_truth(sigma):
    noisy = noisy_copy(synthetic_photo(256), sigma)
    assert noise_level(noisy) == pytest.approx(sigma, rel=0.15)
    batch = torch.from_numpy(noisy.transpose(2, 0, 1)[None])
    assert float(estimate_noise(batch)[0]) == pytest.approx(sigma, rel=0.15)


def test_tiles_join_without_seams():
    model = build_model("photo_denoiser", (1, 40, 40), 8, depth=4, seed=0).eval()
    image = noisy_copy(synthetic_photo(150), 0.1)
    whole = denoise_image(model, image, 0.1, tile=256, overlap=16)  # one tile
    calls = []
    tiled = denoise_image(model, image, 0.1, tile=64, overlap=16, on_progress=lambda d, t: calls.append((d, t)))
    assert tiled.shape == image.shape
    assert calls[-1][0] == calls[-1][1] == 9  # 150 px in tiles of 64: 3 x 3
    # Receptive field of 4 layers at half resolution: 9 px; a 16 px margin hides every seam.
    np.testing.assert_allclose(tiled, whole, atol=1e-4)


def test_colour_photos_go_channel_by_channel_and_bad_settings_are_named():
    model = build_model("photo_denoiser", (1, 40, 40), 8, depth=3, seed=0).eval()
    colour = noisy_copy(synthetic_photo(64, channels=3), 0.1)
    assert denoise_image(model, colour).shape == (64, 64, 3)
    with pytest.raises(ValueError, match="sigma must be in"):
        denoise_image(model, colour, sigma=3)
    with pytest.raises(ValueError, match=r"needs an \(H, W, C\) image"):
        denoise_image(model, colour[..., 0])
    with pytest.raises(ValueError, match="classical filter must be one of"):
        classical(colour, "bm3d", 0.1)


def test_shipped_denoiser_gains_a_real_margin_on_a_synthetic_photo():
    # (Against the classical filters it is measured on natural photos in bench/denoise.py: on a
    # piecewise-smooth synthetic image total variation is at its best.)
    model = load_checkpoint(SHIPPED).model
    clean = synthetic_photo(256)
    noisy = noisy_copy(clean, 25 / 255)
    network = quality(clean, denoise_image(model, noisy, 25 / 255))["psnr"]
    assert network > quality(clean, noisy)["psnr"] + 8
    assert network > quality(clean, classical(noisy, "median", 25 / 255))["psnr"] + 2
    blind = quality(clean, denoise_image(model, noisy))["psnr"]  # sigma estimated from the image
    assert blind > network - 1.0


def test_denoise_cli_writes_a_png_and_refuses_bad_input(tmp_path, capsys):
    clean = synthetic_photo(96, channels=3)
    (tmp_path / "in.png").write_bytes(encode_png(np.clip(noisy_copy(clean, 25 / 255), 0, 1)))
    assert main(["denoise", str(SHIPPED), str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--sigma", "25"]) == 0
    summary = json.loads(capsys.readouterr().out.strip())
    assert summary["sigma_8bit"] == 25 and summary["size"] == [96, 96]
    out = read_image(tmp_path / "out.png")
    assert out.shape == (96, 96, 3)
    assert quality(clean, out)["psnr"] > quality(clean, read_image(tmp_path / "in.png"))["psnr"] + 3
    assert main(["denoise", str(SHIPPED), str(tmp_path / "in.png"), str(tmp_path / "o.png")]) == 0
    assert json.loads(capsys.readouterr().out.strip())["estimated"] is True
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    assert main(["denoise", str(SHIPPED), str(tmp_path / "bad.png"), str(tmp_path / "x.png")]) == 2
    error = capsys.readouterr().err
    assert "bad.png" in error and error.count("\n") == 1
    assert not (tmp_path / "x.png").exists()
    assert (
        main(["denoise", str(PRETRAINED_DIR / "digits-conv"), str(tmp_path / "in.png"), str(tmp_path / "y.png")]) == 2
    )
    assert "not a photo_denoiser" in capsys.readouterr().err
