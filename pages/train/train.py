"""Train: choose data, a model type and its options; watch it learn in the background."""

import streamlit as st

from ae_core.datasets import store_upload
from ae_core.models import MODELS
from ae_core.models.guide import option_fields
from ae_core.runs import TrainingRequest, data_options
from ae_core.zoo import user_data_dir
from ui.jobs import training_view
from ui.state import session_owner, training_queue
from ui.widgets import option_input

BUILT_IN = {
    "digits": "digits — 1,797 handwritten digits, 8×8 (offline, trains in seconds)",
    "shapes?n=6000": "shapes — 6,000 procedural shapes, 32×32 (offline)",
    "mnist": "MNIST — 70,000 digits, 28×28 (downloaded once)",
    "fashion-mnist": "Fashion-MNIST — clothing, 28×28 (downloaded once)",
    "upload": "your own file — a zip of images, an npz or a CSV",
}

st.title("Train")
st.markdown(
    "Pick the data and a kind of autoencoder, then press **Train**. Training runs in the background: "
    "you can explore other pages meanwhile. The curves show the loss on the training data and on held-out "
    "validation data; when validation stops improving, more epochs only memorise. The best epoch is saved."
)

queue = training_queue()
left, right = st.columns(2)
with left:
    choice = st.selectbox("Data", list(BUILT_IN), format_func=BUILT_IN.get, key="train_data")
    spec = choice
    needed = {}  # model options the data calls for (squared error for standardised tables)
    if choice == "upload":
        upload = st.file_uploader("Dataset file", type=["zip", "npz", "csv"], key="train_upload")
        if upload is None:
            st.info("Upload a zip of images (subfolders are classes), an npz (x, y) or a numeric CSV.")
            st.stop()
        try:
            data = store_upload(upload.getvalue(), upload.name, user_data_dir())
        except ValueError as exc:
            st.error(str(exc))
            st.stop()
        spec = data.spec
        needed = data_options(data)
        st.caption(f"{len(data.x_train):,} training samples of shape {data.shape}.")
    kind = st.selectbox(
        "Model type",
        list(MODELS),
        index=list(MODELS).index("conv"),
        key="train_model",
        help="The registry's models; see the line below for what the chosen one does.",
    )
    st.caption(MODELS[kind].description)
    latent_dim = st.number_input(
        "Code size",
        1,
        1024,
        8,
        key="train_latent",
        help="Numbers in the code. Smaller than the input: under-complete; larger: over-complete.",
    )
with right:
    epochs = st.number_input("Epochs", 1, 1000, 30, key="train_epochs", help="Passes over the training data.")
    lr = st.number_input(
        "Learning rate", 1e-5, 1.0, 3e-3, format="%.4f", key="train_lr", help="AdamW step size (cosine-annealed)."
    )
    batch_size = st.number_input(
        "Batch size",
        8,
        4096,
        64,
        key="train_batch",
        help="Samples per step; smaller batches take more steps per epoch.",
    )
    minutes = st.number_input("Time budget (minutes, 0 = none)", 0.0, 600.0, 0.0, key="train_minutes")
    save_epochs = st.multiselect(
        "Keep snapshots at epochs",
        [e for e in (5, 10, 20, 30, 40, 50, 100) if e <= epochs],
        key="train_snapshots",
        help="Weights of these epochs are kept, to compare reconstructions on the Compare page.",
    )
with st.expander(f"Options of the {kind} model", expanded=False):
    options = {
        r["name"]: option_input(
            {**r, "default": needed.get(r["name"], r["default"])},
            key=f"train_opt_{kind}_{r['name']}" + ("_table" if needed else ""),
        )
        for r in option_fields(MODELS[kind])
    }
default_name = f"{choice.split('?')[0] if choice != 'upload' else 'data'}-{kind}-{latent_dim}"
name = st.text_input("Save as", default_name, key="train_name", help="The name it gets in the model picker.")

if st.button("Train", type="primary", icon=":material/play_arrow:"):
    request = TrainingRequest(
        dataset=spec,
        model=kind,
        latent_dim=int(latent_dim),
        options=options,
        epochs=int(epochs),
        lr=float(lr),
        batch_size=int(batch_size),
        max_minutes=minutes or None,
        save_epochs=tuple(save_epochs),
    )
    try:
        job = queue.submit(name, request, owner=session_owner())
    except ValueError as exc:
        st.error(str(exc))
    else:
        st.session_state["train_job"] = job.id

training_view(queue, queue.get(st.session_state.get("train_job", -1)), session_owner())
