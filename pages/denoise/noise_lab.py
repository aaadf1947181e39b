"""Noise lab: a plain and a denoising autoencoder side by side on the same corrupted input."""

import plotly.graph_objects as go
import streamlit as st

from ae_core.apps.noise_lab import compare_on, corrupt, lab_models, psnr_against_noise, sweep_levels
from ae_core.checkpoints.library import list_models
from ae_core.models.noise import NOISE_KINDS
from ui.i18n import N_, _
from ui.plots import FONT
from ui.state import current, load_entry
from ui.widgets import show_samples, uploaded_input

LEVEL_HELP = {
    "gaussian": N_("σ of the added noise"),
    "masking": N_("fraction of pixels set to 0"),
    "salt_pepper": N_("fraction of pixels set to 0 or 1"),
    "speckle": N_("σ of the multiplicative noise"),
    "poisson": N_("noise at full brightness (fewer photons = more noise)"),
    "occlusion": N_("side of a random square box, as a fraction of the image"),
}

NOISE_NAMES = {
    "gaussian": _("Gaussian"),
    "masking": _("Masking (pixels set to 0)"),
    "salt_pepper": _("Salt and pepper"),
    "speckle": _("Speckle (multiplicative)"),
    "poisson": _("Poisson (photon noise)"),
    "occlusion": _("Occlusion (a box)"),
}

st.title(_("Noise lab"))
st.markdown(
    _(
        "A **plain** autoencoder learns to copy clean inputs through its code; a **denoising** one saw corrupted "
        "inputs while training and had to produce the clean originals, so it learned what a clean sample looks "
        "like. Corrupt a sample below and compare what each makes of it; PSNR (higher is better, in dB) and SSIM "
        "(1 = identical structure) measure the result against the clean original."
    )
)

data = current()[1]
if data.kind != "image":
    st.info(
        _("The noise lab works on images: choose a model trained on images (e.g. digits-denoising) in the sidebar.")
    )
    st.stop()
plain_models, noisy_models = lab_models(list_models(), data.spec)
if not noisy_models or not plain_models:
    st.info(
        _(
            "Needs a plain and a denoising model trained on `{dataset}`; on digits both ship with the app.",
            dataset=data.spec,
        )
    )
    st.stop()
left, right = st.columns(2)
plain_name = left.selectbox(
    _("Plain model"),
    plain_models,
    index=next((i for i, n in enumerate(plain_models) if "plain" in n), 0),
    key="lab_plain",
)
denoising_name = right.selectbox(_("Denoising model"), noisy_models, key="lab_denoising")
plain, denoising = load_entry(plain_name).model, load_entry(denoising_name).model

kind = left.selectbox(_("Noise"), NOISE_KINDS, key="lab_kind", format_func=lambda k: NOISE_NAMES.get(k, k))
level = right.slider(
    _("Level"), 0.0, 1.0, 0.3 if kind != "occlusion" else 0.4, 0.01, key="lab_level", help=_(LEVEL_HELP[kind])
)
seed = left.number_input(_("Noise seed"), 0, 10_000, 0, key="lab_seed")
index = right.number_input(_("Test sample"), 0, len(data.x_test) - 1, 0, key="lab_index")
upload = uploaded_input(_("…or upload your own image"), data.shape, key="lab_upload")
clean = upload if upload is not None else data.x_test[[int(index)]]

corner = None
if kind == "occlusion":
    st.caption(_("Place the box yourself:"))
    a, b = st.columns(2)
    height, width = data.shape[1:]
    corner = (
        a.slider(_("Box top (pixels)"), 0, height - 1, height // 3, key="lab_top"),
        b.slider(_("Box left (pixels)"), 0, width - 1, width // 3, key="lab_left"),
    )
models = {"plain": plain, "denoising": denoising}
shown = compare_on(models, clean, corrupt(clean, kind, level, seed=int(seed), corner=corner))

columns = st.columns(4)
titles = {
    "clean": _("clean"),
    "noisy": _("noisy"),
    "noisy input": _("noisy input"),
    "plain": _("plain"),
    "denoising": _("denoising"),
}
for column, (title, (image, scores)) in zip(columns, shown.items()):
    with column:
        show_samples(image, caption=titles[title])
        if scores is not None:
            st.caption(_("PSNR {psnr} dB · SSIM {ssim}", psnr=f"{scores['psnr']:.1f}", ssim=f"{scores['ssim']:.3f}"))

st.subheader(_("PSNR against noise level, over 100 test samples"))
levels = sweep_levels(kind)
sweep = psnr_against_noise(models, data.x_test[:100], kind, levels, seed=int(seed))
figure = go.Figure(
    [
        go.Scatter(x=levels, y=values, name=titles.get(name, name), mode="lines+markers")
        for name, values in sweep.items()
    ]
)
figure.update_layout(
    xaxis_title=_("{noise}: level", noise=NOISE_NAMES.get(kind, kind)),
    yaxis_title=_("PSNR (dB)"),
    height=360,
    margin=dict(t=20),
    font=FONT,
)
st.plotly_chart(figure, key="lab_curve")
st.caption(_("Where the denoising curve lies above the plain one, training on corrupted inputs paid off."))
