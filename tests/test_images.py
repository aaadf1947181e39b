import io

import numpy as np
import pytest
from PIL import Image

from ae_core.data.images import crop_at, drawing_for_model, encode_png, image_for_model, image_grid, read_image


def encode(image: Image.Image, fmt="PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_an_rgb_upload_is_fitted_to_a_grayscale_model_with_a_note():
    x, note = image_for_model(encode(Image.new("RGB", (40, 30), (200, 10, 10))), "red.png", (1, 8, 8))
    assert x.shape == (1, 1, 8, 8) and 0 <= x.min() and x.max() <= 1
    assert "resized from 40x30 to 8x8" in note and "grayscale" in note


def test_sixteen_bit_alpha_and_exif_orientation():
    deep = Image.fromarray(np.full((4, 5), 65535, np.uint16))
    assert read_image(encode(deep)).max() == pytest.approx(1.0)
    clear = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    assert read_image(encode(clear)).min() == pytest.approx(1.0)  # transparent flattened onto white
    tall = Image.new("L", (6, 3))
    exif = tall.getexif()
    exif[0x0112] = 6  # "rotate 90": the picture is really 3 wide, 6 high
    assert read_image(encode(tall, "JPEG", exif=exif)).shape[:2] == (6, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text", "not an image"),
        (encode(Image.new("RGB", (64, 64)))[:60], "damaged or truncated"),
        (encode(Image.new("L", (1, 1))), "only 1x1 pixels"),
    ],
)
def test_bad_images_get_one_clear_line(data, message):
    with pytest.raises(ValueError) as err:
        read_image(data, name="upload.png")
    assert message in str(err.value) and str(err.value).startswith("upload.png")


def test_huge_images_are_refused_before_decoding():
    with pytest.raises(ValueError, match="the limit is 1,000 pixels per image"):
        read_image(encode(Image.new("L", (100, 100))), max_pixels=1000)


def test_animated_gifs_are_refused():
    frames = [Image.new("L", (8, 8), v) for v in (0, 255)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(ValueError, match="animated images are not supported"):
        read_image(data)


def test_a_table_model_takes_no_images():
    with pytest.raises(ValueError, match="takes table rows of 13 numbers"):
        image_for_model(encode(Image.new("L", (8, 8))), "x.png", (13,))


def test_a_small_stroke_in_a_corner_is_centred_and_fills_the_frame():
    drawing = np.zeros((28, 28), np.float32)
    drawing[2:8, 3] = 1.0  # a short "1" in the top-left corner
    x = drawing_for_model(drawing, (1, 8, 8))
    assert x.shape == (1, 1, 8, 8)
    ink_rows = np.flatnonzero(x[0, 0].max(axis=1) > 0.2)
    assert ink_rows.min() >= 1 and ink_rows.max() <= 6  # centred with a margin, spanning most of the height
    assert ink_rows.max() - ink_rows.min() >= 4


def test_an_empty_drawing_and_a_table_model_are_refused():
    with pytest.raises(ValueError, match="the drawing is empty"):
        drawing_for_model(np.zeros((28, 28)), (1, 8, 8))
    with pytest.raises(ValueError, match="table rows of 20 numbers"):
        drawing_for_model(np.ones((28, 28)), (20,))


def test_one_png_encoder_reads_back_float_images_and_tiled_pictures(rng):
    grey = rng.random((5, 7, 1)).astype(np.float32)
    back = read_image(encode_png(grey))
    assert back.shape == (5, 7, 1) and np.abs(back - grey).max() <= 0.5 / 255 + 1e-6
    colour = rng.random((4, 6, 3)).astype(np.float32)
    assert np.abs(read_image(encode_png(colour)) - colour).max() <= 0.5 / 255 + 1e-6
    picture = image_grid(rng.random((3, 3, 8, 8)).astype(np.float32), columns=3, min_side=8)
    decoded = Image.open(io.BytesIO(encode_png(picture)))
    assert decoded.format == "PNG" and np.array_equal(np.asarray(decoded), picture)


def test_a_crop_is_placed_in_percent_and_keeps_inside_the_image():
    image = np.arange(10 * 20).reshape(10, 20)
    assert crop_at(image, 0, 0, 4).tolist() == image[:4, :4].tolist()
    assert crop_at(image, 100, 100, 4).tolist() == image[6:, 16:].tolist()
    assert crop_at(image, 50, 50, 4).tolist() == image[3:7, 8:12].tolist()
    assert crop_at(image, 50, 40, 512).shape == (10, 20)  # a small image is shown whole
    with pytest.raises(ValueError, match="in percent"):
        crop_at(image, 120, 0, 4)
