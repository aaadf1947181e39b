"""Overview: what the chosen model is and how well it reconstructs unseen data."""

import numpy as np
import streamlit as st

from ae_core.models.metrics import reconstruction_errors
from ui.curves import loss_curve_spec, loss_rows
from ui.drawn import drawn_once
from ui.i18n import _, integer
from ui.state import current, model_key
from ui.widgets import LARGE_KEY, show_samples

CURVE_KEY = "overview_curve"  # the "Training curve" box is open

st.title(_("Overview"))
st.markdown(
    _(
        "An autoencoder squeezes each input through a small **code** and rebuilds it from that code alone. "
        "Below, the top row shows test samples the model never saw while training, the bottom row its "
        "reconstructions; the numbers below the pictures are the reconstruction errors, left to right (sum of squared differences)."
    )
)

checkpoint, data = current(flat_code=False)
model, config = checkpoint.model, checkpoint.parsed
count = st.slider(_("Samples to show"), 3, 24, 4, key="overview_count")
seed = st.number_input(
    _("Sample seed"), 0, 10_000, 0, key="overview_seed", help=_("Change it to see other test samples.")
)


def reconstructions(count: int, seed: int) -> None:
    rows = data.random_test_rows(count, seed)
    x = data.x_test[rows]
    x_hat = model.reconstruct(x)
    errors = reconstruction_errors(model, x)
    if data.kind == "image":
        st.subheader(_("Inputs (top) and reconstructions (bottom)"))
        show_samples(np.concatenate([x, x_hat]), columns=len(x))
        st.caption(_("Errors: {errors}", errors="  ·  ".join(f"{e:.2f}" for e in errors)))
    else:
        st.subheader(_("Inputs and reconstructions"))
        st.dataframe({_("sample"): rows, _("reconstruction error"): errors})


# The same for every follower of the teacher: drawn once per server, replayed for the others.
drawn_once(
    (model_key(checkpoint), count, int(seed), bool(st.session_state.get(LARGE_KEY))), reconstructions, count, int(seed)
)
info, metrics = st.columns(2)
with info:
    st.subheader(_("Model"))
    st.markdown(
        _(
            "- type **{kind}** — {description}\n"
            "- input {shape}, code of **{size}** numbers\n"
            "- trained on `{dataset}` ({train} training, {test} test samples)",
            kind=config.model.name,
            description=_(type(model).description),
            shape=config.model.input_shape,
            size=model.latent_dim,
            dataset=checkpoint.dataset,
            train=integer(len(data.x_train)),
            test=integer(len(data.x_test)),
        )
    )
with metrics:
    st.subheader(_("Test metrics"))
    stored = checkpoint.metrics
    if stored and {"sse_per_sample", "mse", "bce"} <= set(stored):
        st.metric(_("Squared error per sample"), f"{stored['sse_per_sample']:.3f}")
        st.caption(_("per pixel/feature: MSE {mse}, BCE {bce}", mse=f"{stored['mse']:.5f}", bce=f"{stored['bce']:.4f}"))

if config.history:
    # Drawn once opened (opening reruns the page): a chart makes the browser fetch and run Vega's
    # 1 MB of script in some 20 files, and until it has, it holds back every other element of
    # the page, the pictures too (bench/first_page_timeline.py). Vega-Lite, not Plotly (4.7 MB).
    curve = st.expander(_("Training curve"), icon=":material/show_chart:", key=CURVE_KEY, on_change="rerun")
    if curve.open:
        curve.vega_lite_chart(loss_rows(config.history), loss_curve_spec(), width="stretch")
