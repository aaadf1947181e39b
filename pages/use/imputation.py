"""Imputation: fill missing values with a mask-aware autoencoder, beside mean and kNN imputation."""

import numpy as np
import streamlit as st

from ae_core.datasets import store_upload
from ae_core.imputation import example_table, hide_box, hide_values, imputation_error, impute, rows_of, train_imputer
from ae_core.zoo import user_data_dir
from ui.i18n import N_, _, option_labels
from ui.shared import shared
from ui.state import dataset, load_entry, model_key
from ui.widgets import show_samples

DATA_KINDS = [N_("digits: paint over part of an image"), N_("a table: hide random values")]

st.title(_("Imputation"))
st.markdown(
    _(
        "Real data has holes. A **mask-aware autoencoder** reads missing values as unknown, is trained only on the "
        "values it has — hiding some more of them on purpose so that filling gaps is what it learns — and then "
        "fills the holes from what the rest of the sample says. Here the truth is known: values are hidden on "
        "purpose and the error is measured on exactly those, beside filling with the column mean and with "
        "scikit-learn's k-nearest-neighbour imputer."
    )
)

kind = st.radio(
    _("Data"),
    DATA_KINDS,
    key="imp_kind",
    horizontal=True,
    format_func=option_labels(DATA_KINDS),
)
if kind.startswith("digits"):
    data = dataset("digits")
    imputer = load_entry("digits-imputer")
    model = imputer.model
    a, b, c = st.columns(3)
    size = a.slider(_("Box size (pixels)"), 1, 6, 3, key="imp_size")
    top = b.slider(_("Box top"), 0, 8 - size, 2, key="imp_top")
    left = c.slider(_("Box left"), 0, 8 - size, 2, key="imp_left")
    truth = data.x_test
    gaps = hide_box(truth, top, left, size)
    reference = data.x_train
else:
    upload = st.file_uploader(
        _("A numeric CSV or npz (default: scikit-learn's wine table)"), type=["csv", "npz"], key="imp_upload"
    )
    try:
        truth = rows_of(store_upload(upload.getvalue(), upload.name, user_data_dir())) if upload else example_table()
    except ValueError as exc:
        st.error(_("This file cannot be used: {error}", error=exc))
        st.stop()
    fraction = st.slider(_("Share of values hidden"), 0.05, 0.6, 0.2, 0.05, key="imp_fraction")
    gaps = hide_values(truth, fraction, seed=0)
    reference = None
    model = None

if model is None:
    if st.session_state.get("imp_key") != (truth.shape, float(np.nansum(gaps))):
        with st.spinner(_("Training a mask-aware autoencoder on the table with its gaps…")):
            st.session_state["imp_model"] = train_imputer(gaps, latent_dim=max(2, truth.shape[1] // 2), threads=1)
            st.session_state["imp_key"] = (truth.shape, float(np.nansum(gaps)))
    model = st.session_state["imp_model"]

method_names = {"autoencoder": _("autoencoder"), "mean": _("mean"), "knn": _("kNN")}
methods = ("autoencoder", "mean", "knn")
if reference is not None:  # the digits set-up is the same for everyone: computed once per server
    filled = {m: shared((model_key(imputer), m, size, top, left), impute, gaps, m, model, reference) for m in methods}
else:
    filled = {m: impute(gaps, m, model, reference) for m in methods}
columns = st.columns(3)
for column, (method, values) in zip(columns, filled.items()):
    column.metric(
        _("{method}: RMSE on the hidden values", method=method_names[method]),
        f"{imputation_error(truth, gaps, values):.4f}",
    )
if truth.ndim == 4:
    shown = slice(0, 10)
    show_samples(
        np.concatenate([truth[shown], np.nan_to_num(gaps[shown], nan=0.5), *(v[shown] for v in filled.values())]),
        columns=10,
        caption=_("Rows: the truth, with the box hidden (grey), filled by the autoencoder, by the mean, by kNN."),
    )
else:
    st.dataframe(np.round(np.where(np.isnan(gaps), filled["autoencoder"], gaps)[:20], 3), height=300)
    st.caption(_("The first 20 rows with the autoencoder's values in the gaps."))
