"""Latent map: every sample is a point placed by its code. Click a point, or empty space."""

import numpy as np
import streamlit as st

from ae_core.data.images import drawing_for_model
from ae_core.explore.projection import METHODS
from ae_core.models.metrics import reconstruction_errors
from ui.canvas import drawing_pad
from ui.drawn import busy
from ui.hover import hover_previews
from ui.i18n import _, integer, ngettext
from ui.plots import MAP_META, latent_map
from ui.prepared import shared_figure
from ui.state import codes_of, current, errors_of, model_key, projection_of, shipped_map
from ui.widgets import show_samples, uploaded_input

st.title(_("Latent map"))
st.markdown(
    _(
        "Each dot is one sample, placed by the code the encoder gives it and squashed to 2-D or 3-D. "
        "Samples the model thinks alike sit together. **Click a dot** to see the sample and its "
        "reconstruction; **click empty space** to see what the decoder makes of a code nobody gave it; "
        "pick a group with the box or lasso tool in the chart's toolbar."
    )
)

checkpoint, data = current()
model = checkpoint.model
names = {"pca": "PCA", "umap": "UMAP", "tsne": "t-SNE", "raw": _("raw code")}
methods = [m for m in METHODS if m != "raw" or model.latent_dim in (2, 3)]
c1, c2, c3, c4 = st.columns(4)
method = c1.selectbox(_("Projection"), methods, format_func=names.get, key="map_method")
dims = (
    c2.segmented_control(
        _("View"), [2, 3], default=2, format_func={d: _("{d}-D", d=d) for d in (2, 3)}.get, key="map_dims"
    )
    or 2
)
split = c3.selectbox(
    _("Samples"), ["test", "train"], key="map_split", format_func={"test": _("test"), "train": _("train")}.get
)
available = len(data.split(split)[0])
limit = c4.slider(
    _("Points"), min(100, available), min(10_000, available), min(3000, available), step=100, key="map_points"
)
if method == "raw" and dims != model.latent_dim:
    st.info(_("The raw code has {n} dimensions; choose the {n}-D view.", n=model.latent_dim))
    st.stop()

key = model_key(checkpoint)
codes, rows, labels = codes_of(checkpoint, key, checkpoint.dataset, split, limit)
x_all = data.split(split)[0]
errors = errors_of(checkpoint, key, checkpoint.dataset, split, limit)
with busy(
    _(
        "Projecting {count} codes with {method}… (UMAP compiles its code on first use)",
        count=integer(len(codes)),
        method=names[method],
    ),
    ("projection", key, split, limit, method, dims),
    show_time=True,
):
    try:
        projector = projection_of(
            codes, f"{key}:{split}:{limit}", method, dims, shipped_map(checkpoint, method, dims, split, limit)
        )
    except ValueError as exc:
        st.error(_("This map cannot be made: {error}", error=exc))
        st.stop()

with st.expander(_("Place your own image on the map: upload or draw one")):
    new_x = None
    if data.kind == "image":
        upload_tab, draw_tab = st.tabs([_("Upload"), _("Draw")])
        with upload_tab:
            new_x = uploaded_input(_("Image"), model.input_shape, key="map_upload")
        with draw_tab:
            drawn = drawing_pad(key="map_draw")
            if drawn is not None:
                try:
                    new_x = drawing_for_model(drawn, model.input_shape)
                except ValueError as exc:
                    st.error(_("This drawing cannot be used: {error}", error=exc))
marked = None
if new_x is not None:
    if projector.can_transform:
        marked = projector.transform(model.embed(new_x))
    else:
        st.warning(
            _(
                "{method} cannot place new points on an existing map; switch to PCA or UMAP to see where it lands.",
                method=projector.name,
            )
        )

figure = (
    shared_figure(  # the same for every follower of the teacher: built once per server
        (key, split, limit, method, dims), latent_map, projector.embedding_, rows, labels, data.label_names, errors
    )
    if marked is None
    else latent_map(projector.embedding_, rows, labels, data.label_names, errors, marked)
)
event = st.plotly_chart(
    figure,
    on_select="rerun",
    selection_mode=("points", "box", "lasso"),
    key="latent_map",
)
if data.kind == "image":
    hover_previews(x_all[rows], rows, MAP_META, key="map_hover")
if dims == 3:
    st.caption(_("Rotate with the mouse. Selecting points works on the 2-D view."))
if new_x is not None:
    st.subheader(_("Your input and its reconstruction"))
    show_samples(np.concatenate([new_x, model.reconstruct(new_x)]), columns=2)

points = (event.selection.points if event and event.selection else []) if dims == 2 else []
grid_curve = 0
picked = [p for p in points if p["curve_number"] != grid_curve and p.get("customdata") is not None]
clicked_space = [p for p in points if p["curve_number"] == grid_curve]
if points:
    st.session_state.pop("linked_sample", None)  # a shared link's sample, until the user picks
linked = st.session_state.get("linked_sample") if split == "test" else None
if picked or linked is not None:
    chosen = np.array([int(p["customdata"]) for p in picked] if picked else [linked])
    st.session_state["selected_samples"] = (split, chosen.tolist())
    x = x_all[chosen[:8]]  # at most 8, large enough to read
    x_hat = model.reconstruct(x)
    st.subheader(ngettext("{n} selected sample", "{n} selected samples", len(chosen)))
    show_samples(
        np.concatenate([x, x_hat]),
        _("top: inputs · bottom: reconstructions"),
        columns=len(x),
        feature_names=data.feature_names,
    )
    st.metric(
        _("Reconstruction error (mean)") if len(chosen) > 1 else _("Reconstruction error"),
        f"{reconstruction_errors(model, x).mean():.3f}",
    )
elif clicked_space:
    where = np.array([[clicked_space[0]["x"], clicked_space[0]["y"]]], np.float32)
    z = projector.inverse_transform(where)
    st.subheader(_("Decoded at ({x}, {y})", x=f"{where[0, 0]:.2f}", y=f"{where[0, 1]:.2f}"))
    show_samples(model.decode_numpy(z), feature_names=data.feature_names)
    st.caption(
        _("Decode is {note}.", note=_(projector.note))
        if projector.note
        else _("Exact: PCA positions map back to codes exactly (within the 2 kept directions).")
    )
    if method == "umap" and st.button(_("Refine with UMAP's own inverse transform (about 15 s)")):
        with st.spinner(_("Running UMAP's inverse transform…"), show_time=True):
            try:
                show_samples(model.decode_numpy(projector.umap_inverse_transform(where)), _("UMAP's inverse transform"))
            except ValueError as exc:
                st.error(_("UMAP's inverse transform failed: {error}", error=exc))
else:
    st.caption(
        _(
            "The map shows {count} test samples ({method} of {size}-number codes). Nothing selected yet.",
            count=integer(len(codes)),
            method=names[method],
            size=model.latent_dim,
        )
        if split == "test"
        else _(
            "The map shows {count} train samples ({method} of {size}-number codes). Nothing selected yet.",
            count=integer(len(codes)),
            method=names[method],
            size=model.latent_dim,
        )
    )
