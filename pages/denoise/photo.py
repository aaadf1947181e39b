"""Photo denoiser: drop a noisy photo, get a clean one back; or add noise to a clean one and
see how the network compares with the classical filters."""

import hashlib

import numpy as np
import plotly.express as px
import streamlit as st

from ae_core.apps.denoising import compare_filters, denoise_image, noisy_copy
from ae_core.checkpoints.library import list_models
from ae_core.data import photo
from ae_core.data.images import crop_at, encode_png, read_image
from ae_core.models.camera_noise import EXAMPLE_CAMERA, camera_pair
from ae_core.models.noise_level import denoising_levels
from ae_core.train.runtime import resolve_device
from ui.i18n import _
from ui.prepared import shared_figure
from ui.shared import shared
from ui.state import load_entry
from ui.widgets import IMAGE_TYPES, file_uploader
from ui.wipe import wipe

DETAIL = 256  # side of the 1:1 detail, in photo pixels


@st.cache_data(show_spinner=False)
def noisy_sample() -> tuple[np.ndarray, np.ndarray]:
    return camera_pair(photo("flower"), EXAMPLE_CAMERA, np.random.default_rng(0))


st.title(_("Photo denoiser"))
st.markdown(
    _(
        "Drop a noisy photo (PNG, JPEG, WebP or TIFF, grayscale or colour, any size) and get it back cleaned by a "
        "convolutional denoising network. It measures how noisy each part of the photo is, or you set the level. "
        "In **demo mode** it adds noise to a clean photo first, so the result can be measured against the "
        "original, beside the classical filters a photographer might use instead."
    )
)

denoisers = [e.name for e in list_models() if e.parsed.model.name == "photo_denoiser"]
if not denoisers:
    st.info(_("No photo denoiser is installed: the shipped one lives in pretrained/photo-denoiser."))
    st.stop()
left, right = st.columns(2)
model = load_entry(left.selectbox(_("Denoiser"), denoisers, key="photo_model")).model
demo = right.toggle(_("Demo mode: add noise to a clean photo"), key="photo_demo")
upload = file_uploader(_("Photo"), "photo_upload", IMAGE_TYPES, help=_("Nothing you upload is written to disk."))
if upload is None:
    st.caption(
        _(
            "No photo yet: showing a held-out sample photo (“flower”) with simulated camera noise (high ISO, "
            "then JPEG), which the network never saw while training."
        )
    )
    reference, image = noisy_sample()
    data, name = b"sample", "flower.png"
else:
    data, name = upload.getvalue(), upload.name
    try:
        reference = image = read_image(data, name=name)
    except ValueError as exc:
        st.error(_("This photo cannot be read: {error}", error=exc))
        st.stop()

if demo:
    added = st.slider(_("Noise to add (σ, 8-bit units)"), 5, 75, 25, key="photo_added")
    clean, image = reference, np.clip(noisy_copy(reference, added / 255, seed=0), 0, 1)


def measured_levels(picture: np.ndarray) -> tuple[float, np.ndarray]:
    """The photo's noise level and its map (per block of 32 pixels) as the network is told them, in 8-bit units."""
    told = denoising_levels(picture)[0] * 255
    return float(np.median(told)), told.mean(axis=2)


def level_chart(levels: np.ndarray):
    chart = px.imshow(levels, color_continuous_scale="magma", zmin=0, aspect="equal", labels={"color": "σ"})
    chart.update_layout(
        height=220, margin=dict(l=0, r=0, t=24, b=0), title=_("Noise level map (per block of 32 pixels)")
    )
    return chart.update_xaxes(visible=False).update_yaxes(visible=False)


# Measured once per server for each photo (the opening sample is the same for everyone).
photo_key = hashlib.sha1(data + f"{demo}:{st.session_state.get('photo_added')}".encode()).hexdigest()
estimated, levels = shared((photo_key,), measured_levels, image)
level_column, map_column = st.columns([1, 2])
level_column.metric(
    _("Estimated noise level"), _("σ ≈ {sigma:.1f}", sigma=estimated), help=_("In 8-bit units (0-255).")
)
strength = level_column.slider(
    _("Strength"),
    0.0,
    2.0,
    1.0,
    0.05,
    key="photo_strength",
    help=_("1 removes the noise that was measured. Lower keeps more detail (and noise); higher smooths more."),
)
manual = level_column.checkbox(_("Set the noise level myself"), key="photo_manual")
sigma = (
    level_column.slider(_("Noise level σ (8-bit units)"), 0.0, 75.0, float(round(estimated)), 0.5, key="photo_sigma")
    if manual
    else None
)
map_column.plotly_chart(shared_figure((photo_key,), level_chart, levels), key="photo_map")

device = resolve_device("auto")
settings = f"{demo}:{st.session_state.get('photo_added')}:{sigma}:{strength}:{id(model)}"
key = hashlib.sha1(data + settings.encode()).hexdigest()
if upload is None and not demo and sigma is None and strength == 1.0:  # the first view: the same for everyone
    st.session_state["photo_key"] = key
    st.session_state["photo_result"] = shared((key, device.type), denoise_image, model, image, None, 1.0)
elif st.session_state.get("photo_key") != key:
    bar = st.progress(0.0, text=_("Denoising…"))
    result = denoise_image(
        model,
        image,
        None if sigma is None else sigma / 255,
        strength,
        device=device,
        on_progress=lambda d, t: bar.progress(d / t, text=_("Denoising: tile {done} of {total}", done=d, total=t)),
    )
    bar.empty()
    st.session_state["photo_key"], st.session_state["photo_result"] = key, result
result = st.session_state["photo_result"]

st.subheader(_("Before and after"))
before_label = _("noisy") if demo else _("your photo") if upload is not None else _("noisy sample")
wipe(
    image,
    result,
    before_label,
    _("denoised"),
    _("Drag the line across the photo"),
    key="photo_wipe",
    content=key if upload is None else None,  # the sample photo: its previews once per server
)
st.caption(_("Drag the line on the picture (or use the arrow keys). Denoised on {device}.", device=device.type.upper()))

st.subheader(_("A detail at 1:1"))
across, down = st.columns(2)
x = across.slider(_("Detail: across (%)"), 0, 100, 50, key="photo_detail_x")
y = down.slider(_("Detail: down (%)"), 0, 100, 40, key="photo_detail_y")
first, second = st.columns(2)
width = min(DETAIL, image.shape[1])
first.image(np.clip(crop_at(image, x, y, DETAIL), 0, 1), caption=before_label, width=width)
second.image(np.clip(crop_at(result, x, y, DETAIL), 0, 1), caption=_("denoised"), width=width)
st.download_button(
    _("Download the denoised photo (PNG)"),
    lambda: encode_png(result),  # made when asked for, not on every view
    f"{name.rsplit('.', 1)[0]}-denoised.png",
    "image/png",
    icon=":material/download:",
    on_click="ignore",
)

if demo:
    st.subheader(_("Against the original, at σ = {sigma}", sigma=added))
    # The filters are slow: they are compared on the centre 512x512 only.
    clean, image, result = (crop_at(picture, 50, 50, 512) for picture in (clean, image, result))
    with st.spinner(_("Running the classical filters…")):
        scores = compare_filters(clean, image, result, added / 255)
    methods = {"noisy": _("noisy input"), "network": _("this network")}
    st.dataframe(
        [{"method": methods.get(name) or _(name), **measured} for name, measured in scores.items()],
        column_config={
            "method": _("method"),
            "psnr": st.column_config.NumberColumn(_("PSNR (dB)"), format="%.2f"),
            "ssim": st.column_config.NumberColumn(_("SSIM"), format="%.3f"),
        },
        hide_index=True,
    )
    st.caption(
        _(
            "Measured on the centre {width}×{height} pixels; the noise is clipped to [0, 1] like a real photo's. "
            "BM3D, the classical method to beat, is compared in bench/denoise.py (it takes seconds to minutes "
            "per photo, too slow for a page).",
            width=image.shape[1],
            height=image.shape[0],
        )
    )
