"""Latent Lab: the router and picture frame. Run with `streamlit run app.py`."""

from pathlib import Path

import streamlit as st

from ae_core.runtime import set_threads
from ui.state import sidebar, start_umap_warm_up

# A local icon: a ":material/…:" page icon is fetched by the browser from fonts.gstatic.com,
# which fails on an offline classroom network and tells an outside host who is using the app.
ICON = Path(__file__).resolve().parent / "ui" / "assets" / "icon.png"
st.set_page_config(page_title="Latent Lab", page_icon=str(ICON), layout="wide")
# One torch thread for the UI: on a 2-core machine the other core stays free for training.
set_threads(1)
start_umap_warm_up()

pages = [
    st.Page("pages/explore/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/explore/latent_map.py", title="Latent map", icon=":material/scatter_plot:"),
    st.Page("pages/explore/generate.py", title="Generate", icon=":material/auto_awesome:"),
    st.Page("pages/explore/compare.py", title="Compare with PCA", icon=":material/compare:"),
]
train = [
    st.Page("pages/train/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/train/models.py", title="Your models", icon=":material/folder_managed:"),
]
denoise = [
    st.Page("pages/denoise/noise_lab.py", title="Noise lab", icon=":material/grain:"),
    st.Page("pages/denoise/photo.py", title="Photo denoiser", icon=":material/auto_fix_high:"),
]
use = [
    st.Page("pages/use/anomaly.py", title="Anomaly studio", icon=":material/troubleshoot:"),
    st.Page("pages/use/recommender.py", title="Recommender", icon=":material/movie:"),
    st.Page("pages/use/imputation.py", title="Imputation", icon=":material/healing:"),
    st.Page("pages/use/few_labels.py", title="Few labels", icon=":material/label:"),
    st.Page("pages/use/code_space.py", title="Code space", icon=":material/hub:"),
]
navigation = st.navigation({"Explore": pages, "Train": train, "Denoise": denoise, "Use": use}, expanded=True)
st.sidebar.title("Latent Lab")
sidebar()
navigation.run()
