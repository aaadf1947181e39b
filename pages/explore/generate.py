"""Generate: walk between codes, sample new ones, and turn single code dimensions like knobs."""

import numpy as np
import streamlit as st

from ae_core.explore.sampling import (
    code_box,
    decoded_path,
    dimension_order,
    grid_columns,
    manifold_codes,
    pixel_blend,
    strip_gif,
    strip_png,
    traversal_codes,
    traversal_values,
)
from ui.drawn import drawn_once
from ui.i18n import _
from ui.state import code_distribution, codes_of, current, model_key
from ui.traversal import live_traversal, slider_steps
from ui.widgets import LARGE_KEY, show_samples, uploaded_input

st.title(_("Generate"))
st.markdown(
    _(
        "The decoder turns **any** code into an output, not only the codes of real samples. Here you "
        "walk from one sample's code to another's, draw new codes at random, and turn one code number "
        "at a time to see what it controls."
    )
)

checkpoint, data = current()
model = checkpoint.model
if data.kind != "image":
    st.info(_("Generating is shown for image models; choose one in the sidebar."))
    st.stop()
key = model_key(checkpoint)
train_codes = codes_of(checkpoint, key, checkpoint.dataset, "train", 5000)[0]
x_test = data.x_test


def interpolation(ends: np.ndarray, steps: int, kind: str) -> None:
    strip = decoded_path(model, ends, steps, kind)
    st.image(
        strip_png(strip),
        caption=_("decoded codes along a linear path") if kind == "linear" else _("decoded codes along a slerp path"),
    )
    st.image(strip_png(pixel_blend(ends, steps)), caption=_("for contrast: blending the pixels themselves"))


def interpolation_file(encode, ends: np.ndarray, steps: int, kind: str):
    return lambda: encode(decoded_path(model, ends, steps, kind))


def samples(kind: str, seed: int) -> None:
    show_samples(model.decode_numpy(code_distribution(train_codes, key, kind).sample(16, seed)), columns=8)


def traversal_grid(base: np.ndarray, shown: list[int], positions: np.ndarray) -> None:
    show_samples(model.decode_numpy(traversal_codes(base, shown, grid_columns(positions))), columns=9)


large = bool(st.session_state.get(LARGE_KEY))
tabs = st.tabs([_("Interpolate"), _("Sample"), _("Traverse")] + ([_("Manifold")] if model.latent_dim == 2 else []))

with tabs[0]:
    endpoints = {"sample numbers": _("sample numbers"), "map selection": _("map selection"), "uploads": _("uploads")}
    source = st.segmented_control(
        _("Endpoints"), list(endpoints), default="sample numbers", format_func=endpoints.get, key="interp_source"
    )
    ends = None
    if source == "map selection":
        split, chosen = st.session_state.get("selected_samples", ("test", []))
        if len(chosen) >= 2:
            ends = data.split(split)[0][[chosen[0], chosen[-1]]]
        else:
            st.info(_("Select at least two points on the Latent map page (box or lasso), then come back."))
    elif source == "uploads":
        a, b = st.columns(2)
        with a:
            first = uploaded_input(_("First image"), model.input_shape, "interp_a")
        with b:
            second = uploaded_input(_("Second image"), model.input_shape, "interp_b")
        ends = np.concatenate([first, second]) if first is not None and second is not None else None
    else:
        a, b = st.columns(2)
        i = a.number_input(_("From test sample"), 0, len(x_test) - 1, 0, key="interp_a_index")
        j = b.number_input(_("To test sample"), 0, len(x_test) - 1, min(1, len(x_test) - 1), key="interp_b_index")
        ends = x_test[[i, j]]
    steps = st.slider(_("Steps"), 3, 16, 8, key="interp_steps")
    kind = (
        st.segmented_control(
            _("Path"),
            ["linear", "slerp"],
            default="linear",
            key="interp_kind",
            format_func={"linear": _("linear"), "slerp": "slerp"}.get,
            help=_("slerp follows a great circle: codes keep their length, which suits a Gaussian prior."),
        )
        or "linear"
    )
    if ends is not None:
        if source == "sample numbers":  # the same for every follower: drawn once per server
            drawn_once((key, int(i), int(j), steps, kind), interpolation, ends, steps, kind)
        else:
            interpolation(ends, steps, kind)
        c1, c2 = st.columns(2)  # the files are made when asked for, not on every run
        c1.download_button(
            _("Download PNG"), interpolation_file(strip_png, ends, steps, kind), "interpolation.png", "image/png"
        )
        c2.download_button(
            _("Download GIF"), interpolation_file(strip_gif, ends, steps, kind), "interpolation.gif", "image/gif"
        )

with tabs[1]:
    seed = st.number_input(_("Seed"), 0, 10_000, 0, key="sample_seed")
    left, right = st.columns(2)
    with left:
        st.markdown(
            _("**From N(0, I)** — the VAE's prior")
            if model.variational
            else _("**From N(0, I)** — a plain autoencoder never promised this")
        )
        drawn_once((key, "prior", int(seed), large), samples, "prior", int(seed))
    with right:
        kind = st.selectbox(
            _("Fitted to the training codes"),
            ["gaussian", "mixture"],
            key="sample_kind",
            format_func={"gaussian": _("one Gaussian"), "mixture": _("mixture of 10 Gaussians")}.get,
        )
        drawn_once((key, kind, int(seed), large), samples, kind, int(seed))
    st.caption(
        _(
            "A plain autoencoder only learns to decode the region its training codes occupy; N(0, I) samples land "
            "far from it and decode to garbage. A distribution fitted to the codes stays where the data is. "
            "A VAE's KL term pulls the codes towards N(0, I), so its prior samples look like data."
        )
    )


@st.fragment
def fragment_traversal(base, shown, positions, labels, component_key):
    # Only this fragment reruns when a slider is released (to decode the sheet around the new code).
    live_traversal(model, base, shown, positions, labels, component_key)


with tabs[2]:
    order, score, score_name = dimension_order(model, train_codes, data.x_train)
    left, right = st.columns([1, 2])
    start = left.number_input(_("Start from test sample"), 0, len(x_test) - 1, 0, key="traverse_index")
    shown = right.multiselect(
        _("Dimensions (highest {score} first)", score=_(score_name)),
        [int(d) for d in order],
        default=[int(d) for d in order[:6]],
        max_selections=12,
        format_func={
            int(d): _("{dimension} ({score} {value})", dimension=d, score=_(score_name), value=f"{score[d]:.3g}")
            for d in order
        }.get,
        key=f"traverse_dims_{key}",
        placeholder=_("Choose dimensions"),
    )
    if not shown:
        st.info(_("Choose at least one code dimension to turn."))
    else:
        base = model.embed(x_test[start : start + 1])[0]
        labels = [
            _("dimension {dimension} ({score} {value})", dimension=d, score=_(score_name), value=f"{score[d]:.3g}")
            for d in shown
        ]
        steps = slider_steps(x_test.shape[1:], len(shown))
        positions = traversal_values(train_codes, shown, steps)
        st.caption(
            _(
                "Each slider runs from −3σ to +3σ of that dimension over the training codes; the picture is decoded as you drag."
            )
        )
        fragment_traversal(base, shown, positions, labels, f"traverse_{key}_{start}_{'-'.join(map(str, shown))}")
        st.markdown(
            _("**Traversal grid** — from test sample {sample}, one row per chosen dimension, −3σ to +3σ", sample=start)
        )
        drawn_once((key, int(start), tuple(shown), large), traversal_grid, base, shown, positions)

if model.latent_dim == 2:
    with tabs[3]:
        steps = st.slider(_("Grid size"), 8, 30, 16, key="manifold_steps")
        show_samples(model.decode_numpy(manifold_codes(*code_box(train_codes), steps)), columns=steps)
        st.caption(
            _("The decoder's output over the whole 2-D code plane (1st to 99th percentile of the training codes).")
        )
