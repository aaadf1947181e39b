"""Your models: what is saved, with its metadata; rename, delete, download, upload."""

import datetime as dt

import streamlit as st

from ae_core.checkpoints import CheckpointError, export_zip, import_zip
from ae_core.checkpoints.library import (
    check_model_name,
    claim_model,
    delete_model,
    list_models,
    may_manage,
    rename_model,
    user_models_dir,
)
from ui.access import browser_id, is_teacher
from ui.i18n import _
from ui.state import flash, show_flash, training_queue
from ui.widgets import file_uploader

st.title(_("Your models"))
st.markdown(
    _(
        "Every model the app can use: the ones shipped with Latent Lab (**pretrained**, read-only) and the ones "
        "trained or uploaded here (**saved**). A checkpoint is a folder with a `config.json` (settings, dataset, "
        "metrics, training history) and a `weights.safetensors` file — no pickles, so a download is safe to share. "
        "You can rename and delete the models you trained or uploaded from this browser."
    )
)

show_flash()
entries = list_models(broken=True)
busy = training_queue().training_names()


def status(entry) -> str:
    if entry.broken:
        return _("broken: {reason}", reason=entry.error)
    if entry.name in busy:
        return _("training now")
    return entry.parsed.status()


st.dataframe(
    [
        {
            _("name"): e.name,
            _("source"): _("pretrained") if e.source == "pretrained" else _("saved"),
            _("type"): e.parsed.model.name if e.parsed else "",
            _("code size"): e.parsed.model.latent_dim if e.parsed else None,
            _("dataset"): (e.parsed.dataset if e.parsed else "") or "",
            _("test error / sample"): e.parsed.metrics.get("sse_per_sample") if e.parsed else None,
            _("epochs"): (e.parsed.training or {}).get("epoch") if e.parsed else None,
            _("status"): status(e),
            _("created"): (e.parsed.created if e.parsed else "")[:16].replace("T", " "),
        }
        for e in entries
    ],
    column_config={_("test error / sample"): st.column_config.NumberColumn(format="%.3f")},
    hide_index=True,
)

manage, upload = st.columns(2)
with manage:
    st.subheader(_("Manage"))
    chosen = st.selectbox(_("Model"), [e.name for e in entries], key="manage_model")
    entry = next(e for e in entries if e.name == chosen)
    if entry.broken:
        st.error(_("“{name}” cannot be used: {reason}", name=entry.name, reason=entry.error))
    else:
        st.download_button(
            _("Download as zip"),
            data=lambda: export_zip(entry.path),
            file_name=f"{entry.name}.zip",
            mime="application/zip",
            icon=":material/download:",
            on_click="ignore",
        )
    if entry.source == "pretrained":
        st.caption(_("Shipped models cannot be renamed or deleted."))
    elif entry.name in busy:
        st.caption(_("This model is being trained right now; rename or delete it when the training has ended."))
    elif not may_manage(entry, browser_id(), is_teacher()):
        st.caption(_("Only the browser that trained or uploaded this model (or the teacher) can rename or delete it."))
    else:
        if not entry.broken:
            new_name = st.text_input(_("New name"), entry.name, key="manage_new_name")
            if st.button(_("Rename"), icon=":material/edit:") and new_name != entry.name:
                try:
                    rename_model(entry.name, new_name)
                except (ValueError, OSError) as exc:
                    st.error(_("Not renamed: {error}", error=exc))
                else:
                    flash(_("Renamed “{old}” to “{new}”.", old=entry.name, new=new_name))
                    st.rerun()
        sure = st.checkbox(_("Yes, delete “{name}” for good", name=entry.name), key="manage_sure")
        if st.button(_("Delete"), icon=":material/delete:", disabled=not sure):
            try:
                delete_model(entry.name)
            except (ValueError, OSError) as exc:
                st.error(_("Not deleted: {error}", error=exc))
            else:
                flash(_("Deleted “{name}”.", name=entry.name))
                st.rerun()

with upload:
    st.subheader(_("Upload a checkpoint"))
    file = file_uploader(_("Checkpoint zip (config.json + weights.safetensors)"), "manage_upload", ["zip"])
    name = st.text_input(_("Save as"), f"uploaded-{dt.datetime.now():%m%d-%H%M}", key="manage_upload_name")
    if file is not None and st.button(_("Add to my models"), icon=":material/upload:"):
        try:
            name = check_model_name(name, user_models_dir())
            import_zip(file.getvalue(), user_models_dir() / name, owner=browser_id(), teacher=is_teacher())
        except (CheckpointError, ValueError) as exc:
            st.error(_("Not added: {reason}", reason=exc))
        else:
            claim_model(name, browser_id())
            flash(_("Added “{name}”; choose it in the sidebar.", name=name))
            st.rerun()
if not any(e.source == "saved" for e in entries):
    st.info(_("There are no saved models yet: train one on the Train page or upload a checkpoint zip."))
