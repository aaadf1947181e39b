"""Train: choose data, a model type and its options; watch it learn in the background."""

import streamlit as st

from ae_core.data import store_upload
from ae_core.models import MODELS
from ae_core.models.guide import option_fields
from ae_core.train.request import TrainingRequest, data_options
from ae_core.train.settings import TrainingSettings
from ui.access import upload_folder
from ui.i18n import N_, _, integer, option_labels
from ui.jobs import training_view
from ui.state import session_owner, training_queue
from ui.widgets import file_uploader, option_input

BUILT_IN = {
    "digits": N_("digits — 1,797 handwritten digits, 8×8 (offline, trains in seconds)"),
    "shapes?n=6000": N_("shapes — 6,000 procedural shapes, 32×32 (offline)"),
    "mnist": N_("MNIST — 70,000 digits, 28×28 (downloaded once)"),
    "fashion-mnist": N_("Fashion-MNIST — clothing, 28×28 (downloaded once)"),
    "upload": N_("your own file — a zip of images, an npz or a CSV"),
}

st.title(_("Train"))
st.markdown(
    _(
        "Pick the data and a kind of autoencoder, then press **Train**. Training runs in the background: "
        "you can explore other pages meanwhile. The curves show the loss on the training data and on held-out "
        "validation data; when validation stops improving, more epochs only memorise. The best epoch is saved."
    )
)

queue = training_queue()
defaults = TrainingSettings()
left, right = st.columns(2)
with left:
    choice = st.selectbox(_("Data"), list(BUILT_IN), format_func=option_labels(BUILT_IN), key="train_data")
    spec = choice
    needed = {}  # model options the data calls for (squared error for standardised tables)
    if choice == "upload":
        upload = file_uploader(_("Dataset file"), "train_upload", ["zip", "npz", "csv"])
        if upload is None:
            st.info(_("Upload a zip of images (subfolders are classes), an npz (x, y) or a numeric CSV."))
            st.stop()
        try:
            data = store_upload(upload.getvalue(), upload.name, upload_folder())
        except ValueError as exc:
            st.error(_("This file cannot be used: {error}", error=exc))
            st.stop()
        spec = data.spec
        needed = data_options(data)
        st.caption(_("{count} training samples of shape {shape}.", count=integer(len(data.x_train)), shape=data.shape))
    kind = st.selectbox(
        _("Model type"),
        list(MODELS),
        index=list(MODELS).index("conv"),
        key="train_model",
        help=_("The registry's models; see the line below for what the chosen one does."),
    )
    st.caption(_(MODELS[kind].description))
    latent_dim = st.number_input(
        _("Code size"),
        1,
        1024,
        8,
        key="train_latent",
        help=_("Numbers in the code. Smaller than the input: under-complete; larger: over-complete."),
    )
with right:
    epochs = st.number_input(
        _("Epochs"), 1, 1000, defaults.epochs, key="train_epochs", help=_("Passes over the training data.")
    )
    lr = st.number_input(
        _("Learning rate"),
        1e-5,
        1.0,
        defaults.lr,
        format="%.4f",
        key="train_lr",
        help=_("AdamW step size (cosine-annealed)."),
    )
    batch_size = st.number_input(
        _("Batch size"),
        8,
        4096,
        defaults.batch_size,
        key="train_batch",
        help=_("Samples per step; smaller batches take more steps per epoch."),
    )
    minutes = st.number_input(
        _("Time budget (minutes, 0 = none)"), 0.0, 600.0, float(defaults.max_minutes or 0), key="train_minutes"
    )
    save_epochs = st.multiselect(
        _("Keep snapshots at epochs"),
        [e for e in (5, 10, 20, 30, 40, 50, 100) if e <= epochs],
        key="train_snapshots",
        placeholder=_("Choose epochs"),
        help=_("Weights of these epochs are kept, to compare reconstructions on the Compare page."),
    )
with st.expander(_("Options of the {kind} model", kind=kind), expanded=False):
    options = {
        r["name"]: option_input(
            {**r, "default": needed.get(r["name"], r["default"])},
            key=f"train_opt_{kind}_{r['name']}" + ("_table" if needed else ""),
        )
        for r in option_fields(MODELS[kind])
    }
default_name = f"{choice.split('?')[0] if choice != 'upload' else 'data'}-{kind}-{latent_dim}"
name = st.text_input(_("Save as"), default_name, key="train_name", help=_("The name it gets in the model picker."))

if st.button(_("Train"), type="primary", icon=":material/play_arrow:"):
    try:
        settings = defaults.replace(
            epochs=int(epochs), lr=float(lr), batch_size=int(batch_size), max_minutes=minutes or None
        )
        request = TrainingRequest(spec, kind, int(latent_dim), options, settings, save_epochs=tuple(save_epochs))
        job = queue.submit(name, request, owner=session_owner())
    except ValueError as exc:
        st.error(_("Not started: {error}", error=exc))
    else:
        st.session_state["train_job"] = job.id

training_view(queue, queue.get(st.session_state.get("train_job", -1)), session_owner())
