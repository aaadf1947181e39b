"""Photo denoiser: drop a noisy photo, get a clean one back; or add noise to a clean one and
see how the network compares with the classical filters."""

import hashlib

import numpy as np
import streamlit as st

from ae_core.datasets import photo
from ae_core.denoise import CLASSICAL, classical, denoise_image, noise_level, noisy_copy, quality
from ae_core.images import encode_png, read_image
from ae_core.zoo import list_models
from ui.i18n import _
from ui.shared import shared
from ui.state import load_entry
from ui.widgets import IMAGE_TYPES

st.title(_("Photo denoiser"))
st.markdown(
    _(
        "Drop a noisy photo (PNG, JPEG, WebP or TIFF, grayscale or colour, any size) and get it back cleaned by a "
        "convolutional denoising network. It estimates how noisy the photo is, or you set the level. In **demo "
        "mode** it adds noise to a clean photo first, so the result can be measured against the original — beside "
        "the classical filters a photographer might use instead."
    )
)

denoisers = [e.name for e in list_models() if e.config["model"]["name"] == "photo_denoiser"]
if not denoisers:
    st.info(_("No photo denoiser is installed: the shipped one lives in pretrained/photo-denoiser."))
    st.stop()
left, right = st.columns(2)
model = load_entry(left.selectbox(_("Denoiser"), denoisers, key="photo_model")).model
demo = right.toggle(_("Demo mode: add noise to a clean photo"), key="photo_demo")
upload = st.file_uploader(
    _("Photo"), type=IMAGE_TYPES, key="photo_upload", help=_("Nothing you upload is written to disk.")
)
if upload is None:
    st.caption(
        _("No photo yet — showing a held-out sample photo (“camera”), which the network never saw while training.")
    )
    data, name = shared(("camera",), lambda: encode_png(photo("camera"))), "camera.png"
else:
    data, name = upload.getvalue(), upload.name
try:
    image = read_image(data, name=name)
except ValueError as exc:
    st.error(_("This photo cannot be read: {error}", error=exc))
    st.stop()

if demo:
    added = st.slider(_("Noise to add (σ, 8-bit units)"), 5, 75, 25, key="photo_added")
    clean, image = image, np.clip(noisy_copy(image, added / 255, seed=0), 0, 1)
estimated = noise_level(image) * 255
auto = st.checkbox(
    _("Estimate the noise level (estimated σ ≈ {sigma})", sigma=f"{estimated:.1f}"), value=True, key="photo_auto"
)
sigma = (
    estimated
    if auto
    else st.slider(_("Noise level σ (8-bit units)"), 0.0, 75.0, float(round(estimated)), 0.5, key="photo_sigma")
)

key = hashlib.sha1(data + f"{demo}:{st.session_state.get('photo_added')}:{sigma:.2f}:{id(model)}".encode()).hexdigest()
if upload is None:  # the sample photo is the same for everyone: denoised once per server
    st.session_state["photo_key"] = key
    st.session_state["photo_result"] = shared((key,), denoise_image, model, image, sigma / 255)
elif st.session_state.get("photo_key") != key:
    bar = st.progress(0.0, text=_("Denoising…"))
    result = denoise_image(
        model,
        image,
        sigma / 255,
        on_progress=lambda d, t: bar.progress(d / t, text=_("Denoising: tile {done} of {total}", done=d, total=t)),
    )
    bar.empty()
    st.session_state["photo_key"], st.session_state["photo_result"] = key, result
result = st.session_state["photo_result"]

st.subheader(_("Before and after"))
split = st.slider(
    _("Wipe: original ← → denoised"), 0, 100, 50, key="photo_wipe", help=_("Drag to move the line between the two.")
)
column = int(image.shape[1] * split / 100)
wiped = np.concatenate([image[:, :column], result[:, column:]], axis=1) if image.shape[2] == result.shape[2] else result
st.image(
    np.clip(wiped, 0, 1),
    caption=_("left of the line: noisy; right: denoised")
    if demo
    else _("left of the line: your photo; right: denoised"),
    clamp=True,
)
st.download_button(
    _("Download the denoised photo (PNG)"),
    encode_png(result),
    f"{name.rsplit('.', 1)[0]}-denoised.png",
    "image/png",
    icon=":material/download:",
    on_click="ignore",
)

if demo:
    st.subheader(_("Against the original, at σ = {sigma}", sigma=added))
    h, w = image.shape[:2]
    top, left = max(0, (h - 512) // 2), max(0, (w - 512) // 2)
    crop = (slice(top, top + 512), slice(left, left + 512))  # the filters are slow: the centre 512x512 at most
    clean, image, result = clean[crop], image[crop], result[crop]
    rows = [
        {"method": _("noisy input"), **quality(clean, image)},
        {"method": _("this network"), **quality(clean, result)},
    ]
    with st.spinner(_("Running the classical filters…")):
        for filter_name in CLASSICAL:
            rows.append({"method": _(filter_name), **quality(clean, classical(image, filter_name, sigma / 255))})
    st.dataframe(
        rows,
        column_config={
            "method": _("method"),
            "psnr": st.column_config.NumberColumn("PSNR (dB)", format="%.2f"),
            "ssim": st.column_config.NumberColumn("SSIM", format="%.3f"),
        },
        hide_index=True,
    )
    st.caption(
        _(
            "Measured on the centre {width}×{height} pixels. The noise is clipped to [0, 1] like a real photo's. "
            "BM3D, the classical method to beat, is not included (it has no scikit-image implementation and takes "
            "minutes per photo on this machine).",
            width=image.shape[1],
            height=image.shape[0],
        )
    )
