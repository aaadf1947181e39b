"""Imputation: fill missing values with a mask-aware autoencoder, beside mean and kNN imputation."""

import numpy as np
import streamlit as st

from ae_core.apps.imputation import (
    AutoencoderImputer,
    compare_imputers,
    example_table,
    hide_box,
    hide_values,
    rows_of,
)
from ae_core.checkpoints.library import list_models
from ae_core.data import store_upload
from ui.access import upload_folder
from ui.i18n import _, integer
from ui.state import dataset, load_entry
from ui.widgets import file_uploader, show_samples

st.title(_("Imputation"))
st.markdown(
    _(
        "Real data has holes. A **mask-aware autoencoder** reads missing values as unknown, is trained only on the "
        "values it has — hiding some more of them on purpose so that filling gaps is what it learns — and then fills "
        "the holes from what the rest of the sample says. Here the truth is known: values are hidden on purpose and "
        "the error is measured on exactly those, beside filling with the column mean and with scikit-learn's "
        "k-nearest-neighbour imputer."
    )
)

# 28x28 digits when their imputer ships, else the 8x8 ones; scored on a few test digits, since
# kNN compares each one with every training digit.
IMPUTER = next((n for n in ("mnist-sample-imputer", "digits-imputer") if n in {e.name for e in list_models()}), None)
SHOWN = 100
kinds = {
    "scattered": _("digits: hide scattered pixels"),
    "box": _("digits: paint over part of an image"),
    "table": _("a table: hide random values"),
}


@st.cache_data(show_spinner=False, max_entries=32)
def shared_results(_truth, _gaps, _model, _reference, setting: str) -> dict:
    """Results for a shipped imputer's setting, computed once for the whole class (kNN is slow)."""
    return compare_imputers(_truth, _gaps, _model, _reference)


kind = st.radio(_("Data"), list(kinds), format_func=kinds.get, key="imp_kind", horizontal=True)
if kind != "table" and IMPUTER is not None:
    checkpoint = load_entry(IMPUTER)
    data, model = dataset(checkpoint.dataset), checkpoint.model
    truth, reference = data.x_test[:SHOWN], data.x_train
    side = data.shape[-1]
    if kind == "scattered":
        fraction = st.slider(_("Share of pixels hidden"), 0.1, 0.9, 0.3, 0.1, key="imp_pixels")
        gaps = hide_values(truth, fraction, seed=0)
        setting = f"{IMPUTER}:scattered:{fraction}"
    else:
        a, b, c = st.columns(3)
        size = a.slider(_("Box size (pixels)"), 1, side - 2, side // 2, key="imp_size")
        top = b.slider(_("Box top"), 0, side - size, (side - size) // 2, key="imp_top")
        left = c.slider(_("Box left"), 0, side - size, (side - size) // 2, key="imp_left")
        gaps = hide_box(truth, top, left, size)
        setting = f"{IMPUTER}:box:{size}:{top}:{left}"
else:
    upload = file_uploader(_("A numeric CSV or npz (default: scikit-learn's wine table)"), "imp_upload", ["csv", "npz"])
    try:
        truth = rows_of(store_upload(upload.getvalue(), upload.name, upload_folder())) if upload else example_table()
    except ValueError as exc:
        st.error(_("This file cannot be used: {error}", error=exc))
        st.stop()
    fraction = st.slider(_("Share of values hidden"), 0.05, 0.6, 0.2, 0.05, key="imp_fraction")
    gaps = hide_values(truth, fraction, seed=0)
    reference = None
    if st.session_state.get("imp_key") != (truth.shape, float(np.nansum(gaps))):
        with st.spinner(_("Training a mask-aware autoencoder on the table with its gaps…")):
            st.session_state["imp_model"] = (
                AutoencoderImputer(latent_dim=max(2, truth.shape[1] // 2), threads=1).fit(gaps).model_
            )
            st.session_state["imp_key"] = (truth.shape, float(np.nansum(gaps)))
    model = st.session_state["imp_model"]
    setting = None

with st.spinner(_("Filling the gaps three ways (kNN searches every training sample)…")):
    results = (
        shared_results(truth, gaps, model, reference, setting)
        if setting
        else compare_imputers(truth, gaps, model, reference)
    )
names = {"autoencoder": _("autoencoder"), "mean": _("column mean"), "knn": _("k nearest neighbours")}
columns = st.columns(3)
for column, (method, result) in zip(columns, results.items()):
    column.metric(names[method], f"{result['rmse']:.3f}", help=_("Root mean squared error on the hidden values."))
    column.caption(_("RMSE on the hidden values · {seconds} s", seconds=f"{result['seconds']:.2f}"))
ae, knn = results["autoencoder"], results["knn"]
if ae["rmse"] <= knn["rmse"]:
    st.success(
        _(
            "The autoencoder wins here: scattered gaps are what it was trained to fill, and it fills them from what it "
            "learned about all the training data rather than by copying five neighbours. It is also {ratio}× faster: "
            "one pass through the network instead of a search through every training sample.",
            ratio=integer(round(knn["seconds"] / max(ae["seconds"], 1e-3))),
        )
    )
else:
    st.info(
        _(
            "kNN wins here. It copies the hidden values from the five training samples that look most alike in what "
            "is visible; with thousands of training samples there is nearly always a close twin, and a whole box, or "
            "a small table, is exactly what a twin can supply. The autoencoder was trained to fill scattered gaps, "
            "so for large holes it rebuilds a blurrier average. kNN pays in time ({knn} s against {ae} s), growing "
            "with the training set; try scattered pixels to see the autoencoder ahead.",
            knn=f"{knn['seconds']:.2f}",
            ae=f"{ae['seconds']:.2f}",
        )
    )
if truth.ndim == 4:
    shown = slice(0, 6)
    show_samples(
        np.concatenate(
            [truth[shown], np.nan_to_num(gaps[shown], nan=0.5), *(r["filled"][shown] for r in results.values())]
        ),
        columns=6,
        caption=_("Rows: the truth, with the gaps (grey), filled by the autoencoder, by the mean, by kNN."),
    )
else:
    st.dataframe(np.round(np.where(np.isnan(gaps), results["autoencoder"]["filled"], gaps)[:20], 3), height=300)
    st.caption(_("The first 20 rows with the autoencoder's values in the gaps."))
