"""The anomaly page's set-up panel: train a one-class detector in the background."""

from __future__ import annotations

import streamlit as st

from ae_core.apps.anomaly import detector_request
from ae_core.data import load_dataset, store_upload
from ui.access import upload_folder
from ui.i18n import N_, _, option_labels
from ui.jobs import training_view
from ui.state import dataset, session_owner, training_queue
from ui.widgets import file_uploader

SOURCES = {
    "digits": N_("digits (8×8)"),
    "shapes?n=6000": N_("shapes: hold out a shape kind"),
    "mnist": N_("MNIST (downloaded once)"),
    "fashion-mnist": N_("Fashion-MNIST (downloaded once)"),
    "upload": N_("your table or images (CSV, npz, zip)"),
}


def detector_setup() -> None:
    """Choose data and its normal classes; the detector trains on those only and is tested on all."""
    with st.expander(_("Set up a detector: train on normal data only"), icon=":material/tune:"):
        st.caption(
            _(
                "Pick a dataset and the classes that count as normal: the autoencoder trains on those alone and the "
                "other classes become the anomalies of the test split. For a table whose label column is 1 for "
                "anomalies, leave the classes empty: it trains on all rows and the labels are only used to score it."
            )
        )
        source = st.selectbox(_("Data"), list(SOURCES), format_func=option_labels(SOURCES), key="detector_data")
        try:
            if source == "upload":
                upload = file_uploader(_("Dataset file"), "detector_upload", ["csv", "npz", "zip"])
                if upload is None:
                    return
                data = store_upload(upload.getvalue(), upload.name, upload_folder())
            else:
                data = dataset(source)  # cached: the page reruns with every follower
        except ValueError as exc:
            st.error(_("This data cannot be used: {error}", error=exc))
            return
        names = data.label_names or (
            [] if data.y_train is None else [str(v) for v in sorted(set(data.y_train.tolist()))]
        )
        normal = st.multiselect(
            _("Normal classes"),
            names,
            key="detector_normal",
            disabled=not names,
            format_func=option_labels(names),
            placeholder=_("Choose classes (empty: all)"),
        )
        spec = data.spec + (("&" if "?" in data.spec else "?") + "normal=" + ",".join(normal) if normal else "")
        stem = spec.split("?")[0].split(":")[0]
        name = st.text_input(
            _("Save as"), f"{stem}-detector{'-' + '-'.join(normal) if normal else ''}", key="detector_name"
        )
        queue = training_queue()
        if st.button(_("Train detector"), icon=":material/play_arrow:"):
            try:
                request = detector_request(load_dataset(spec))
                st.session_state["detector_job"] = queue.submit(name, request, owner=session_owner()).id
            except ValueError as exc:
                st.error(_("Not started: {error}", error=exc))
        job = queue.get(st.session_state.get("detector_job", -1))
        if job is not None:
            training_view(queue, job, session_owner(), ("pages/use/anomaly.py", _("Use this detector")))
