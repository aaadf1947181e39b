"""What a class sees on the projector: a class keeps its colour on every view, ticks do not
repeat, pictures are large enough to read (issue 17)."""

import numpy as np

from ui.plots import CLASS_COLORS, error_curves, latent_map, percent_axis, scatter_2d


def colours_by_name(figure) -> dict[str, str]:
    return {t.name: t.marker.color for t in figure.data if t.name not in ("decode here", "your input")}


def test_a_class_has_the_same_colour_in_2d_3d_and_the_pca_comparison(rng):
    labels = np.repeat(np.arange(10), 5)
    names = [str(i) for i in range(10)]
    rows, errors = np.arange(50), np.zeros(50)
    flat = colours_by_name(latent_map(rng.normal(size=(50, 2)), rows, labels, names, errors))
    deep = colours_by_name(latent_map(rng.normal(size=(50, 3)), rows, labels, names, errors))
    compare = colours_by_name(scatter_2d(rng.normal(size=(50, 2)), labels, names))
    assert flat == deep == compare
    assert len(set(flat.values())) == 10 and "#F0E442" not in CLASS_COLORS  # no pale yellow on white


def test_a_selection_on_the_map_leaves_the_other_points_visible(rng):
    figure = latent_map(rng.normal(size=(20, 2)), np.arange(20), np.arange(20) % 2, None, np.zeros(20))
    assert all(t.unselected.marker.opacity >= 0.3 for t in figure.data[1:])


def test_axis_ticks_are_the_values_tried_each_written_once():
    axis = percent_axis("labels", [0.01, 0.1, 1.0])
    assert axis["ticktext"] == ["1%", "10%", "100%"]
    figure = error_curves({"code_size": [2, 4, 8, 16, 32], "pca": [5, 4, 3, 2, 1], "autoencoder": [4, 3, 2, 1, 0.5]})
    assert list(figure.layout.xaxis.ticktext) == ["2", "4", "8", "16", "32"]


def test_a_digit_is_shown_at_least_160_pixels_wide_and_a_long_row_still_fits():
    from ui.widgets import ROW_WIDTH, tile_side

    assert tile_side(28, 1) >= 160 and tile_side(8, 2) >= 160
    assert tile_side(28, 12) * 12 <= ROW_WIDTH[False] and tile_side(28, 12) % 28 == 0


def test_sample_pictures_reach_the_browser_pixel_for_pixel(rng):
    """Enlarged digits stay sharp: the grid is sent losslessly (PNG), not blurred by JPEG."""
    import base64
    import io

    from PIL import Image

    from ae_core.data.images import image_grid
    from ui.widgets import grid_url

    images = rng.random((8, 1, 28, 28)).astype(np.float32)
    url = grid_url(images, 4, 168)
    assert url.startswith("data:image/png;base64,")
    sent = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    assert np.array_equal(sent, image_grid(images, columns=4, min_side=168))
