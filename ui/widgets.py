"""Small drawing helpers shared by pages."""

from __future__ import annotations

import base64

import numpy as np
import streamlit as st

from ae_core.data.images import encode_png, image_for_model, image_grid
from ui.i18n import _, option_labels, uploader_words

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
LARGE_KEY = "large_pictures"  # the sidebar's "Large pictures" toggle
PICTURE_SIDE = {False: 168, True: 280}  # pixels per digit: readable from the back of a room
ROW_WIDTH = {False: 820, True: 1800}  # a row of pictures wider than this gets smaller tiles


def tile_side(height: int, columns: int) -> int:
    """The side each tile of a grid is enlarged to: a whole multiple of the picture's own height
    (nearest neighbour, no blur), about PICTURE_SIDE for a few pictures, smaller for long rows so
    the row still fits on the screen without the browser rescaling (and blurring) it."""
    large = bool(st.session_state.get(LARGE_KEY))
    wanted = min(PICTURE_SIDE[large], ROW_WIDTH[large] // max(columns, 1))
    return height * max(1, wanted // height)


@st.cache_data(show_spinner=False, max_entries=32)
def sprite_url(images: np.ndarray, columns: int) -> str:
    """``(N, C, H, W)`` images tiled without gaps at their own size, as a PNG data URL (for the
    browser components, which cut tiles out of it). Cached: hashing the images costs a tenth of
    encoding them, and a class following the teacher asks for the same sheet thirty times."""
    png = encode_png(image_grid(images, columns=columns, pad=0, min_side=1))
    return "data:image/png;base64," + base64.b64encode(png).decode()


@st.cache_data(show_spinner=False, max_entries=64)
def grid_url(images: np.ndarray, columns: int, side: int) -> str:
    """``(N, C, H, W)`` images as a grid (tiles ``side`` pixels high), as a PNG data URL.

    PNG, not the JPEG ``st.image`` makes of an array: enlarged digits stay sharp and weigh a
    tenth (4 KB for the Overview's 8 tiles, against 60 KB). Sent inside the page's message, so
    the browser shows them without asking the server again, which is busy with the same run
    (bench/first_page_timeline.py). Cached: a class following the teacher asks for the same grid."""
    png = encode_png(image_grid(images, columns=columns, min_side=side))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def show_samples(x: np.ndarray, caption: str | None = None, columns: int | None = None, feature_names=None) -> None:
    """Images as a crisp grid (see ``tile_side``); table rows as a table."""
    if x.ndim == 4:
        columns = columns or min(len(x), 12)
        st.image(grid_url(x, columns, tile_side(x.shape[2], columns)), caption=caption)
    else:
        st.dataframe(np.round(x, 3), column_config={i: name for i, name in enumerate(feature_names or [])})
        if caption:
            st.caption(caption)


def file_uploader(label: str, key: str, types: list[str] | None = None, where=None, **kwargs):
    """``st.file_uploader`` (in ``where``: a column, the sidebar; default the page) whose line of
    limits reads in this session's language (``ui.i18n.uploader_words``)."""
    upload = (where or st).file_uploader(label, type=types, key=key, **kwargs)
    uploader_words(key, types)
    return upload


def uploaded_input(label: str, input_shape: tuple[int, ...], key: str) -> np.ndarray | None:
    """An uploaded image fitted to the model's input, or None; bad files get one clear line."""
    upload = file_uploader(label, key, IMAGE_TYPES)
    if upload is None:
        return None
    try:
        x, note = image_for_model(upload.getvalue(), upload.name, input_shape)
    except ValueError as exc:
        st.error(_("This image cannot be used: {error}", error=exc))
        return None
    if note:
        st.caption(_("Your image was changed to fit the model: {changes}.", changes=note))
    return x


def option_input(record: dict, key: str):
    """A control for one model option (see ae_core.models.guide.option_fields)."""
    name, default, text, choices = record["name"], record["default"], record["help"], record["choices"]
    label = _(name.replace("_", " "))
    text = _(text) if text else None
    if choices:
        return st.selectbox(
            label, choices, index=list(choices).index(default), help=text, key=key, format_func=option_labels(choices)
        )
    if isinstance(default, bool):
        return st.checkbox(label, value=default, help=text, key=key)
    if isinstance(default, float):
        return st.number_input(label, value=default, min_value=0.0, step=0.05, format="%.3f", help=text, key=key)
    if isinstance(default, int):
        return st.number_input(label, value=default, min_value=0, help=text, key=key)
    if isinstance(default, tuple):
        raw = st.text_input(label, value=",".join(str(v) for v in default), help=text, key=key)
        try:
            return tuple(int(v) for v in raw.replace(" ", "").split(",") if v)
        except ValueError:
            st.error(
                _(
                    "{option}: write whole numbers separated by commas, e.g. `256,128` — got “{value}”",
                    option=label,
                    value=raw,
                )
            )
            st.stop()
    return st.text_input(label, value=str(default), help=text, key=key)
