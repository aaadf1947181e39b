"""Latent Lab: the router and picture frame. Run with `streamlit run app.py`."""

from pathlib import Path

import streamlit as st

from ae_core.checkpoints.library import DEFAULT_MODEL
from ae_core.train.runtime import set_threads
from ui.follow import class_sidebar, open_pending, publish, show_follow_note
from ui.i18n import _, choose_language, language_switch, streamlit_words
from ui.links import apply_view, open_link, show_link_note, view_params, write_link
from ui.state import MODEL_KEY, data_of, entries, load_entry, sidebar, start_umap_warm_up

# A local icon: a ":material/…:" page icon is fetched by the browser from fonts.gstatic.com,
# which fails on an offline classroom network and tells an outside host who is using the app.
ICON = Path(__file__).resolve().parent / "ui" / "assets" / "icon.png"
st.set_page_config(page_title="Latent Lab", page_icon=str(ICON), layout="wide")
choose_language()
streamlit_words()
# One torch thread for the UI: on a 2-core machine the other core stays free for training.
set_threads(1)
start_umap_warm_up()

pages = [
    st.Page("pages/explore/overview.py", title=_("Overview"), icon=":material/home:", default=True),
    st.Page("pages/explore/latent_map.py", title=_("Latent map"), icon=":material/scatter_plot:"),
    st.Page("pages/explore/generate.py", title=_("Generate"), icon=":material/auto_awesome:"),
    st.Page("pages/explore/compare.py", title=_("Compare with PCA"), icon=":material/compare:"),
]
train = [
    st.Page("pages/train/train.py", title=_("Train"), icon=":material/model_training:"),
    st.Page("pages/train/models.py", title=_("Your models"), icon=":material/folder_managed:"),
]
denoise = [
    st.Page("pages/denoise/noise_lab.py", title=_("Noise lab"), icon=":material/grain:"),
    st.Page("pages/denoise/photo.py", title=_("Photo denoiser"), icon=":material/auto_fix_high:"),
]
use = [
    st.Page("pages/use/anomaly.py", title=_("Anomaly studio"), icon=":material/troubleshoot:"),
    st.Page("pages/use/recommender.py", title=_("Recommender"), icon=":material/movie:"),
    st.Page("pages/use/imputation.py", title=_("Imputation"), icon=":material/healing:"),
    st.Page("pages/use/few_labels.py", title=_("Few labels"), icon=":material/label:"),
    st.Page("pages/use/code_space.py", title=_("Code space"), icon=":material/hub:"),
]
sections = {_("Explore"): pages, _("Train"): train, _("Denoise"): denoise, _("Use"): use}
navigation = st.navigation(sections, expanded=True)


def data_sizes(name: str) -> tuple[int, int]:
    data = data_of(load_entry(name))
    return len(data.x_train), len(data.x_test)


names = [e.name for e in entries()]
open_link(names, MODEL_KEY, DEFAULT_MODEL, data_sizes)  # a shared link, or the back button
open_pending(lambda params: apply_view(params, names, MODEL_KEY, DEFAULT_MODEL, data_sizes))  # the teacher's view
st.sidebar.title("Latent Lab")
language_switch()
sidebar()
every_page = {page.url_path: page for section in sections.values() for page in section}
class_sidebar(navigation.url_path, every_page, view_params(navigation.url_path, MODEL_KEY))
show_link_note()
show_follow_note()
try:
    navigation.run()
finally:  # also when a page stops early: the class follows the teacher there
    publish(navigation.url_path, view_params(navigation.url_path, MODEL_KEY))
write_link(navigation.url_path, MODEL_KEY)  # not reached when a page stops early: its link stays as it was
