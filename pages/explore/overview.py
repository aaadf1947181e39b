"""Overview: what the chosen model is and how well it reconstructs unseen data."""

import numpy as np
import streamlit as st

from ae_core.evaluation import reconstruction_errors
from ui.plots import loss_curves
from ui.state import current
from ui.widgets import show_samples

st.title("Overview")
st.markdown(
    "An autoencoder squeezes each input through a small **code** and rebuilds it from that code alone. "
    "Below, the top row shows test samples the model never saw while training, the bottom row its "
    "reconstructions; the numbers below the pictures are the reconstruction errors, left to right (sum of squared differences)."
)

checkpoint, data = current(flat_code=False)
model, config = checkpoint.model, checkpoint.config
count = st.slider("Samples to show", 3, 24, 4, key="overview_count")
seed = st.number_input("Sample seed", 0, 10_000, 0, key="overview_seed", help="Change it to see other test samples.")

rows = np.random.default_rng(int(seed)).choice(len(data.x_test), size=min(count, len(data.x_test)), replace=False)
x = data.x_test[rows]
x_hat = model.reconstruct(x)
errors = reconstruction_errors(model, x)

info, metrics = st.columns(2)
with info:
    st.subheader("Model")
    st.markdown(
        f"- type **{config['model']['name']}** — {type(model).description}\n"
        f"- input {tuple(config['model']['input_shape'])}, code of **{model.latent_dim}** numbers\n"
        f"- trained on `{checkpoint.dataset}` ({len(data.x_train):,} training, {len(data.x_test):,} test samples)"
    )
with metrics:
    st.subheader("Test metrics")
    stored = checkpoint.metrics
    if stored:
        st.metric("Squared error per sample", f"{stored['sse_per_sample']:.3f}")
        st.caption(f"per pixel/feature: MSE {stored['mse']:.5f}, BCE {stored['bce']:.4f}")

if data.kind == "image":
    st.subheader("Inputs (top) and reconstructions (bottom)")
    show_samples(np.concatenate([x, x_hat]), columns=len(x))
    st.caption("Errors: " + "  ·  ".join(f"{e:.2f}" for e in errors))
else:
    st.subheader("Inputs and reconstructions")
    st.dataframe({"sample": rows, "reconstruction error": errors})

history = (config.get("training") or {}).get("history") or []
if history:
    st.subheader("Training curve")
    st.plotly_chart(loss_curves(history))
