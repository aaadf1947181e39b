"""Latent map: every sample is a point placed by its code. Click a point, or empty space."""

import numpy as np
import streamlit as st

from ae_core.evaluation import reconstruction_errors
from ae_core.images import drawing_for_model
from ae_core.projection import METHODS
from ui.canvas import drawing_pad
from ui.hover import hover_previews
from ui.plots import MAP_META, latent_map
from ui.state import codes_of, current, model_key, projection_of, shipped_map
from ui.widgets import show_samples, uploaded_input

st.title("Latent map")
st.markdown(
    "Each dot is one sample, placed by the code the encoder gives it and squashed to 2-D or 3-D. "
    "Samples the model thinks alike sit together. **Click a dot** to see the sample and its "
    "reconstruction; **click empty space** to see what the decoder makes of a code nobody gave it; "
    "pick a group with the box or lasso tool in the chart's toolbar."
)

checkpoint, data = current()
model = checkpoint.model
names = {"pca": "PCA", "umap": "UMAP", "tsne": "t-SNE", "raw": "raw code"}
methods = [m for m in METHODS if m != "raw" or model.latent_dim in (2, 3)]
c1, c2, c3, c4 = st.columns(4)
method = c1.selectbox("Projection", methods, format_func=names.get, key="map_method")
dims = c2.segmented_control("View", [2, 3], default=2, format_func=lambda d: f"{d}-D", key="map_dims") or 2
split = c3.selectbox("Samples", ["test", "train"], key="map_split")
available = len(data.split(split)[0])
limit = c4.slider(
    "Points", min(100, available), min(10_000, available), min(3000, available), step=100, key="map_points"
)
if method == "raw" and dims != model.latent_dim:
    st.info(f"The raw code has {model.latent_dim} dimensions; choose the {model.latent_dim}-D view.")
    st.stop()

key = model_key(checkpoint)
codes, rows, labels = codes_of(checkpoint, key, checkpoint.dataset, split, limit)
x_all, _ = data.split(split)
errors = reconstruction_errors(model, x_all[rows])
with st.spinner(
    f"Projecting {len(codes):,} codes with {names[method]}… (UMAP compiles its code on first use)", show_time=True
):
    try:
        projector = projection_of(
            codes, f"{key}:{split}:{limit}", method, dims, shipped_map(checkpoint, method, dims, split, limit)
        )
    except ValueError as exc:
        st.error(str(exc))
        st.stop()

with st.expander("Place your own image on the map: upload or draw one"):
    new_x = None
    if data.kind == "image":
        upload_tab, draw_tab = st.tabs(["Upload", "Draw"])
        with upload_tab:
            new_x = uploaded_input("Image", model.input_shape, key="map_upload")
        with draw_tab:
            drawn = drawing_pad(key="map_draw")
            if drawn is not None:
                try:
                    new_x = drawing_for_model(drawn, model.input_shape)
                except ValueError as exc:
                    st.error(str(exc))
marked = None
if new_x is not None:
    if projector.can_transform:
        marked = projector.transform(model.embed(new_x))
    else:
        st.warning(
            f"{projector.name} cannot place new points on an existing map; switch to PCA or UMAP to see where it lands."
        )

event = st.plotly_chart(
    latent_map(projector.embedding_, rows, labels, data.label_names, errors, marked),
    on_select="rerun",
    selection_mode=("points", "box", "lasso"),
    key="latent_map",
)
if data.kind == "image":
    hover_previews(x_all[rows], rows, MAP_META, key="map_hover")
if dims == 3:
    st.caption("Rotate with the mouse. Selecting points works on the 2-D view.")
if new_x is not None:
    st.subheader("Your input and its reconstruction")
    show_samples(np.concatenate([new_x, model.reconstruct(new_x)]), columns=2)

points = (event.selection.points if event and event.selection else []) if dims == 2 else []
grid_curve = 0
picked = [p for p in points if p["curve_number"] != grid_curve and p.get("customdata") is not None]
clicked_space = [p for p in points if p["curve_number"] == grid_curve]
if picked:
    chosen = np.array([int(p["customdata"]) for p in picked])
    st.session_state["selected_samples"] = (split, chosen.tolist())
    x = x_all[chosen[:8]]  # at most 8, large enough to read
    x_hat = model.reconstruct(x)
    st.subheader(f"{len(chosen)} selected sample{'s' if len(chosen) > 1 else ''}")
    show_samples(
        np.concatenate([x, x_hat]),
        "top: inputs · bottom: reconstructions",
        columns=len(x),
        feature_names=data.feature_names,
    )
    st.metric(
        "Reconstruction error" + (" (mean)" if len(chosen) > 1 else ""), f"{reconstruction_errors(model, x).mean():.3f}"
    )
elif clicked_space:
    where = np.array([[clicked_space[0]["x"], clicked_space[0]["y"]]], np.float32)
    z = projector.inverse_transform(where)
    st.subheader(f"Decoded at ({where[0, 0]:.2f}, {where[0, 1]:.2f})")
    show_samples(model.decode_numpy(z), feature_names=data.feature_names)
    st.caption(
        f"Decode is {projector.note}."
        if projector.note
        else "Exact: PCA positions map back to codes exactly (within the 2 kept directions)."
    )
    if method == "umap" and st.button("Refine with UMAP's own inverse transform (about 15 s)"):
        with st.spinner("Running UMAP's inverse transform…", show_time=True):
            try:
                show_samples(model.decode_numpy(projector.umap_inverse_transform(where)), "UMAP's inverse transform")
            except ValueError as exc:
                st.error(str(exc))
else:
    st.caption(
        f"The map shows {len(codes):,} {split} samples ({names[method]} of {model.latent_dim}-number codes). Nothing selected yet."
    )
