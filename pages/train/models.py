"""Your models: what is saved, with its metadata; rename, delete, download, upload."""

import datetime as dt

import streamlit as st

from ae_core.checkpoints import CheckpointError, export_zip, import_zip
from ae_core.zoo import check_model_name, delete_model, list_models, rename_model, user_models_dir
from ui.i18n import _
from ui.state import flash, show_flash, training_queue

st.title(_("Your models"))
st.markdown(
    _(
        "Every model the app can use: the ones shipped with Latent Lab (**pretrained**, read-only) and the ones "
        "you trained or uploaded (**saved**). A checkpoint is a folder with a `config.json` (settings, dataset, "
        "metrics, training history) and a `weights.safetensors` file — no pickles, so a download is safe to share."
    )
)

show_flash()
entries = list_models()
st.dataframe(
    [
        {
            "name": e.name,
            "source": _("pretrained") if e.source == "pretrained" else _("saved"),
            "type": e.config["model"]["name"],
            "code size": e.config["model"]["latent_dim"],
            "dataset": e.config.get("dataset") or "",
            "test error / sample": (e.config.get("metrics") or {}).get("sse_per_sample"),
            "epochs": (e.config.get("training") or {}).get("epoch"),
            "created": (e.config.get("created") or "")[:16].replace("T", " "),
        }
        for e in entries
    ],
    column_config={
        "name": _("name"),
        "source": _("source"),
        "type": _("type"),
        "code size": _("code size"),
        "dataset": _("dataset"),
        "test error / sample": st.column_config.NumberColumn(_("test error / sample"), format="%.3f"),
        "epochs": _("epochs"),
        "created": _("created"),
    },
    hide_index=True,
)

saved = [e for e in entries if e.source == "saved"]
busy = training_queue().training_names()
manage, upload = st.columns(2)
with manage:
    st.subheader(_("Manage"))
    chosen = st.selectbox(_("Model"), [e.name for e in entries], key="manage_model")
    entry = next(e for e in entries if e.name == chosen)
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
    else:
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
            delete_model(entry.name)
            flash(_("Deleted “{name}”.", name=entry.name))
            st.rerun()

with upload:
    st.subheader(_("Upload a checkpoint"))
    file = st.file_uploader(_("Checkpoint zip (config.json + weights.safetensors)"), type=["zip"], key="manage_upload")
    name = st.text_input(_("Save as"), f"uploaded-{dt.datetime.now():%m%d-%H%M}", key="manage_upload_name")
    if file is not None and st.button(_("Add to my models"), icon=":material/upload:"):
        try:
            import_zip(file.getvalue(), user_models_dir() / check_model_name(name, user_models_dir()))
        except (CheckpointError, ValueError) as exc:
            st.error(_("Not added: {error}", error=exc))
        else:
            flash(_("Added “{name}”; choose it in the sidebar.", name=name))
            st.rerun()
if not saved:
    st.info(_("You have no saved models yet: train one on the Train page or upload a checkpoint zip."))
