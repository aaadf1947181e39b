import io

import numpy as np
import pytest
import torch
from PIL import Image

from ae_core import build_model
from ae_core.explore.sampling import (
    CodeDistribution,
    code_box,
    decoded_path,
    dimension_order,
    grid_columns,
    manifold_codes,
    pixel_blend,
    strip_gif,
    strip_png,
    traversal_codes,
    traversal_sheet,
    traversal_values,
)
from ae_core.models import interpolate


def test_fitted_distribution_samples_where_the_codes_are(rng):
    codes = rng.normal(10, 0.5, (500, 3))
    for kind in ("gaussian", "mixture"):
        samples = CodeDistribution(kind).fit(codes).sample(200, seed=1)
        assert abs(samples.mean() - 10) < 0.3
    prior = CodeDistribution("prior").fit(codes).sample(200, seed=1)
    assert abs(prior.mean()) < 0.3
    np.testing.assert_array_equal(
        CodeDistribution("gaussian").fit(codes).sample(4, 7), CodeDistribution("gaussian").fit(codes).sample(4, 7)
    )
    with pytest.raises(ValueError, match="sample source must be one of"):
        CodeDistribution("uniform").fit(codes)


def test_dimensions_are_ordered_by_variance_or_by_kl(rng):
    codes = rng.normal(0, [0.1, 3.0, 1.0], (100, 3))
    order, score, name = dimension_order(build_model("deep", (4,), 3), codes)
    assert order.tolist() == [1, 2, 0] and name == "variance"
    vae = build_model("vae", (1, 8, 8), 4, seed=0)
    x = rng.random((20, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():  # make the four dimensions' KL clearly different: dimension d's mean scaled by d
        vae.encoder[-1].weight[:4] *= torch.arange(1.0, 5.0)[:, None] * 3
    order, score, name = dimension_order(vae, codes, x)
    assert name == "KL" and len(order) == 4 and (score >= 0).all()
    mu, logvar = (t.detach().double().numpy() for t in vae.encode_distribution(torch.from_numpy(x)))
    kl = (-0.5 * (1 + logvar - mu**2 - np.exp(logvar))).mean(axis=0)  # each dimension's KL to N(0, 1)
    np.testing.assert_allclose(score, kl, rtol=1e-5)
    assert order.tolist() == np.argsort(-kl).tolist() == [3, 2, 1, 0]


def test_traversal_changes_one_dimension_per_row():
    grid = traversal_codes(np.zeros(4), [2, 0], np.array([-1.0, 0.0, 1.0])).reshape(2, 3, 4)
    np.testing.assert_array_equal(grid[0, :, 2], [-1, 0, 1])
    np.testing.assert_array_equal(grid[1, :, 0], [-1, 0, 1])
    assert grid[0, :, [0, 1, 3]].sum() == 0


def test_traversal_sheet_tiles_are_the_decoders_output_for_each_slider_position(rng):
    model = build_model("vanilla", (1, 8, 8), 4, seed=0)
    base = rng.normal(size=4).astype(np.float32)
    values = np.linspace(-2, 2, 5)[None].repeat(2, 0)
    z, image, sheet = traversal_sheet(model, base, [3, 1], values, [None, 4])
    np.testing.assert_allclose(z, [base[0], 2.0, base[2], base[3]])  # slider 0 untouched: the sample's value
    np.testing.assert_allclose(image, model.decode_numpy(z[None])[0], atol=1e-6)
    assert sheet.shape == (2, 5, 1, 8, 8)
    moved = z.copy()
    moved[3] = values[0, 1]
    np.testing.assert_allclose(sheet[0, 1], model.decode_numpy(moved[None])[0], atol=1e-6)
    # The current picture is in the sheet wherever the slider is on its position.
    np.testing.assert_allclose(sheet[1, 4], image, atol=1e-6)
    with pytest.raises(ValueError, match="2 sliders need as many positions"):
        traversal_sheet(model, base, [3, 1], values, [None])


def test_manifold_grid_covers_the_plane():
    grid = manifold_codes(np.array([-1.0, -2.0]), np.array([1.0, 2.0]), 5)
    assert grid.shape == (25, 2) and grid[0].tolist() == [-1.0, 2.0] and grid[-1].tolist() == [1.0, -2.0]
    with pytest.raises(ValueError, match="needs a 2-dimensional code"):
        manifold_codes(np.zeros(3), np.ones(3), 4)


def test_strips_export_as_png_and_animated_gif(rng):
    images = rng.random((6, 1, 8, 8)).astype(np.float32)
    png = Image.open(io.BytesIO(strip_png(images)))
    assert png.format == "PNG" and png.size[0] > 6 * 8
    gif = Image.open(io.BytesIO(strip_gif(images)))
    assert gif.format == "GIF" and gif.n_frames == 10  # forward and back


def test_a_decoded_path_runs_between_the_two_samples_codes_and_the_blend_between_their_pixels(rng):
    model = build_model("vanilla", (1, 8, 8), 4, seed=0)
    ends = rng.random((2, 1, 8, 8)).astype(np.float32)
    z = model.embed(ends)
    for kind in ("linear", "slerp"):
        path = decoded_path(model, ends, 5, kind)
        np.testing.assert_allclose(path, model.decode_numpy(interpolate(z[0], z[1], 5, kind)), atol=1e-6)
    np.testing.assert_allclose(decoded_path(model, ends, 5)[[0, -1]], model.reconstruct(ends), atol=1e-5)
    blend = pixel_blend(ends, 5)
    assert blend.shape == (5, 1, 8, 8) and blend.dtype == np.float32
    np.testing.assert_allclose(blend[[0, -1]], ends, atol=1e-6)
    np.testing.assert_allclose(blend[2], ends.mean(axis=0), atol=1e-6)
    with pytest.raises(ValueError, match="two end samples"):
        pixel_blend(ends[:1], 5)


def test_traversal_sliders_span_three_deviations_and_the_grid_is_a_subset_of_their_steps(rng):
    codes = rng.normal([0.0, 10.0, -5.0], [1.0, 2.0, 0.5], (4000, 3))
    values = traversal_values(codes, [1, 2], 41)
    assert values.shape == (2, 41)
    np.testing.assert_allclose(
        values[0, [0, 20, 40]], codes[:, 1].mean() + np.array([-3, 0, 3]) * codes[:, 1].std(), rtol=1e-5
    )
    np.testing.assert_allclose(values[1, 20], codes[:, 2].mean())
    grid = grid_columns(values)
    assert grid.shape == (2, 9) and np.array_equal(grid, values[:, ::5])
    assert np.array_equal(grid_columns(values[:, :9]), values[:, :9])
    with pytest.raises(ValueError, match="cannot be cut into 9"):
        grid_columns(values[:, :12])


def test_the_manifold_box_holds_all_but_the_outermost_codes(rng):
    codes = rng.normal(size=(10_000, 2))
    low, high = code_box(codes)
    inside = ((codes >= low) & (codes <= high)).mean(axis=0)
    assert np.allclose(inside, 0.98, atol=0.002) and (low < 0).all() and (high > 0).all()
