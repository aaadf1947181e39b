"""Shared app state: which model is chosen, and cached loading of models and data.

Caching lives here, in the UI layer: ``st.cache_resource`` for models (never mutated),
``st.cache_data`` for arrays. Cache keys include the checkpoint's modification time so a
retrained model is picked up.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import streamlit as st

from ae_core.checkpoints import Checkpoint, check_upload_dataset, load_checkpoint
from ae_core.checkpoints.library import (
    DEFAULT_MODEL,
    PRETRAINED_DIR,
    ModelEntry,
    list_models,
)
from ae_core.data import Dataset, load_dataset
from ae_core.explore.views import load_map, map_name, map_rows
from ae_core.models.metrics import reconstruction_errors
from ae_core.system.paths import user_data_dir, user_models_dir
from ae_core.train.queue import TrainingQueue
from ui.access import browser_id, is_teacher
from ui.drawn import busy
from ui.i18n import _
from ui.shared import freeze
from ui.widgets import LARGE_KEY

MODEL_KEY = "model_name"
ROOT = Path(__file__).resolve().parent.parent


# Spinners are drawn by the callers: a cache's own spinner text is fixed when the module is
# imported, in one language for every session.
@st.cache_resource(show_spinner=False, max_entries=16)
def _load_model(path: str, modified: float) -> Checkpoint:
    checkpoint = load_checkpoint(path)
    checkpoint.model.for_inference()  # shared by every session's thread: prepared once, never changed after
    return checkpoint


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_data(spec: str, scaler: str | None) -> Dataset:
    # One copy per server, shared by every session (cache_data would unpickle a fresh copy of
    # the whole dataset on every rerun); read-only arrays, so no page can change it for others.
    data = load_dataset(spec, scaler=json.loads(scaler) if scaler else None)
    for value in vars(data).values():
        freeze(value)
    return data


def dataset(spec: str) -> Dataset:
    """A dataset by spec with its default scaling (cached, shared, read-only)."""
    return _load_data(spec, None)


def entries() -> tuple[ModelEntry, ...]:
    """Every listed model; the configs are read again only when a model folder changed."""
    return _entries_for(repr(_folders_stamp()))


def _folders_stamp() -> tuple:
    """Modification times of the model folders and of each model's config: a few stat calls,
    where reading every config (with its training history) costs tens of milliseconds."""
    stamp = []
    for folder in (PRETRAINED_DIR, user_models_dir()):
        try:
            children = tuple(
                sorted(
                    (p.name, os.stat(os.path.join(p.path, "config.json")).st_mtime_ns)
                    for p in os.scandir(folder)
                    if p.is_dir() and os.path.isfile(os.path.join(p.path, "config.json"))
                )
            )
            stamp.append((str(folder), folder.stat().st_mtime_ns, children))
        except OSError:
            stamp.append((str(folder), None, ()))
    return tuple(stamp)


@functools.lru_cache(maxsize=4)
def _entries_for(stamp: str) -> tuple[ModelEntry, ...]:
    # Shared by every session: a tuple of frozen entries, never changed after it is returned. A
    # plain memo, not st.cache_resource: the picker asks for it several times in every run of
    # every follower, and Streamlit's cache inspects the function's signature on each call.
    return tuple(list_models())


def sidebar() -> None:
    """The model picker, drawn by app.py on every page; the choice persists across pages.

    The current model is also passed as ``index``: the browser re-creates the widget from its
    default when a page is clicked while the first run is still drawing, and with the default
    left at 0 it sent back the first model in the list, which then stuck (issue 17).
    """
    available = entries()
    if not available:
        st.sidebar.error(_("No models found: the pretrained/ folder is missing."))
        return
    names = [e.name for e in available]
    current = st.session_state.get(MODEL_KEY)
    if current not in names:
        current = DEFAULT_MODEL if DEFAULT_MODEL in names else names[0]
    labels = {e.name: model_label(e) for e in available}
    st.sidebar.selectbox(
        _("Model"),
        names,
        index=names.index(current),
        key=MODEL_KEY,
        format_func=labels.get,
        help=_("Shipped in pretrained/ or saved by you."),
    )
    entry = available[names.index(st.session_state[MODEL_KEY])]
    dataset = entry.parsed.dataset
    st.sidebar.caption(_("Dataset: `{dataset}`", dataset=dataset) if dataset else _("Dataset: unknown"))
    st.sidebar.toggle(
        _("Large pictures"), key=LARGE_KEY, help=_("Digits and reconstructions at about 280 pixels, for a projector.")
    )


def model_label(entry: ModelEntry) -> str:
    """How the model picker names a model: its name, type, code size and where it comes from."""
    model = entry.parsed.model
    text = (
        _("{name} ({kind}, code {size}, pretrained)")
        if entry.source == "pretrained"
        else _("{name} ({kind}, code {size}, saved)")
    )
    return text.format(name=entry.name, kind=model.name, size=model.latent_dim)


def load_entry(name: str) -> Checkpoint:
    """A listed model by name (cached; reloaded when its weights change)."""
    entry = {e.name: e for e in entries()}.get(name)
    if entry is None:
        raise ValueError(_("there is no model named “{name}”", name=name))
    key = (str(entry.path), (entry.path / "weights.safetensors").stat().st_mtime)
    with busy(_("Loading the model…"), ("model", *key)):
        return _load_model(*key)


def data_of(checkpoint: Checkpoint) -> Dataset:
    """The data a model was trained on, scaled as it was (cached, shared, read-only)."""
    spec = checkpoint.dataset
    if not spec:
        raise ValueError(_("it does not name the dataset it was trained on"))
    check_upload_dataset(checkpoint.parsed, user_data_dir(), teacher=is_teacher())  # as on upload: a model is data
    scaler = json.dumps(checkpoint.scaler) if checkpoint.scaler else None
    with busy(_("Loading the data…"), ("data", spec, scaler)):
        return _load_data(spec, scaler)


def model_and_data(name: str) -> tuple[Checkpoint, Dataset]:
    """A listed model and the dataset it was trained on (cached); ValueError/OSError if unusable."""
    checkpoint = load_entry(name)
    return checkpoint, data_of(checkpoint)


def current(flat_code: bool = True, name: str | None = None) -> tuple[Checkpoint, Dataset]:
    """The chosen model (or the model ``name``) and its dataset; shows a message and stops the
    page if they cannot be used.

    Pages that map or sample codes need a flat code vector; a photo denoiser's code is a
    feature map, so those pages say so unless ``flat_code`` is False.
    """
    name = name or st.session_state.get(MODEL_KEY, DEFAULT_MODEL)
    try:
        checkpoint, dataset = model_and_data(name)
    except (ValueError, OSError) as exc:
        st.error(_("Cannot use model “{name}”: {error}", name=name, error=exc))
        st.stop()
    if flat_code and checkpoint.model.spatial_code:
        st.info(
            _(
                "“{name}” is a photo denoiser: its code is a feature map, not a point to map or sample. "
                "Use it on the Photo denoiser page, or choose another model in the sidebar.",
                name=name,
            )
        )
        st.stop()
    return checkpoint, dataset


def chosen_name() -> str:
    """The sidebar's model."""
    return st.session_state.get(MODEL_KEY, DEFAULT_MODEL)


def codes_of(checkpoint: Checkpoint, model_key: str, spec: str, split: str, limit: int) -> tuple:
    """Codes of (at most ``limit`` of) a split, with the rows used and their labels (shared by
    every session, read-only)."""
    with busy(_("Encoding the data…"), ("codes", model_key, spec, split, limit)):
        return _codes_of(checkpoint, model_key, spec, split, limit)


@st.cache_resource(show_spinner=False, max_entries=16)
def _codes_of(_checkpoint: Checkpoint, model_key: str, spec: str, split: str, limit: int) -> tuple:
    x, y = _load_data(spec, json.dumps(_checkpoint.scaler) if _checkpoint.scaler else None).split(split)
    rows = map_rows(len(x), limit)
    return freeze((_checkpoint.model.embed(x[rows]), rows, None if y is None else y[rows]))


def errors_of(checkpoint: Checkpoint, model_key: str, spec: str, split: str, limit: int) -> np.ndarray:
    """Reconstruction errors of the samples :func:`codes_of` maps (shared by every session,
    read-only): thirty students following the teacher ask for the same ones at once."""
    return _errors_of(checkpoint, model_key, spec, split, limit)


@st.cache_resource(show_spinner=False, max_entries=16)
def _errors_of(_checkpoint: Checkpoint, model_key: str, spec: str, split: str, limit: int) -> np.ndarray:
    x, _ = _load_data(spec, json.dumps(_checkpoint.scaler) if _checkpoint.scaler else None).split(split)
    return freeze(reconstruction_errors(_checkpoint.model, x[map_rows(len(x), limit)]))


@st.cache_resource(show_spinner=False, max_entries=16)
def projection_of(_codes: np.ndarray, codes_key: str, method: str, dims: int, shipped: tuple[str, str] | None = None):
    """A fitted map of the codes: shipped with the model (``shipped`` = its folder and the map's
    name), or computed, and then cached on disk for maps other than PCA."""
    from ae_core.explore.projection import from_embedding, project  # scikit-learn: not needed by the first page

    if shipped and method in ("umap", "tsne"):
        embedding = load_map(Path(shipped[0]), shipped[1], _codes)
        if embedding is not None:
            return from_embedding(method, _codes, embedding)
    return project(method, _codes, dims, cache_key=codes_key)


def shipped_map(checkpoint: Checkpoint, method: str, dims: int, split: str, limit: int) -> tuple[str, str]:
    """Where a map of this view would be, if it was shipped with the model (see ae_core.explore.views)."""
    return str(checkpoint.path), map_name(method, dims, split, limit)


def model_key(checkpoint: Checkpoint) -> str:
    """Identifies the model's weights (path and modification time) for cache keys."""
    weights = checkpoint.path / "weights.safetensors"
    return f"{weights.resolve()}:{weights.stat().st_mtime_ns}"


def code_distribution(codes: np.ndarray, codes_key: str, kind: str):
    with busy(_("Fitting a distribution to the codes…"), ("distribution", codes_key, kind)):
        return _code_distribution(codes, codes_key, kind)


@st.cache_resource(show_spinner=False, max_entries=16)
def _code_distribution(_codes: np.ndarray, codes_key: str, kind: str):
    from ae_core.explore.sampling import CodeDistribution  # scikit-learn: not needed by the first page

    return CodeDistribution(kind).fit(_codes)


# The warm-up child: low priority, it waits until the first page has been drawn (it would compete
# for the CPU with it), and it ends when the server does instead of compiling for nobody.
WARM_UP = """
import os, threading, time
parent = os.getppid()
os.nice(10)
def watch():
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
time.sleep(float(os.environ.get("LATENT_LAB_UMAP_WARMUP_DELAY", "20")))
from ae_core.explore.projection import warm_up_umap
warm_up_umap()
"""


@st.cache_resource(show_spinner=False)
def start_umap_warm_up() -> subprocess.Popen | None:
    """Compile UMAP's numba code once, in a child process, so the numba disk cache is filled
    before a user asks for a UMAP map of a model without a shipped map (ae_core.explore.views). A thread
    would hold the GIL while numba compiles and make the app sluggish for the better part of a
    minute. LATENT_LAB_UMAP_WARMUP=0 turns it off."""
    if os.environ.get("LATENT_LAB_UMAP_WARMUP", "1") == "0":
        return None
    try:
        return subprocess.Popen(
            [sys.executable, "-c", WARM_UP], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except OSError:
        return None


def training_queue() -> TrainingQueue:
    """The one queue of training runs shared by every browser session of every server process
    (its store is beside the models folder, or in Redis); the first run starts its consumer."""
    return _queue_for(str(user_models_dir()))


@st.cache_resource(show_spinner=False)
def _queue_for(models_dir: str) -> TrainingQueue:
    return TrainingQueue(models_dir)


def session_owner() -> str:
    """This browser's id, to tell its own trainings and models from other people's."""
    return browser_id()


def choose_model(name: str) -> None:
    """Make ``name`` the sidebar's model (e.g. after training it)."""
    st.session_state[MODEL_KEY] = name


def flash(message: str) -> None:
    """A success message shown once, after the rerun that follows an action."""
    st.session_state["flash"] = message


def show_flash() -> None:
    message = st.session_state.pop("flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")
