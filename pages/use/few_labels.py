"""Few labels: unsupervised pretraining of a classifier's encoder."""

import plotly.graph_objects as go
import streamlit as st

from ae_core.apps.few_labels import METHODS, label_fraction_curve
from ae_core.explore.views import load_view
from ui.i18n import _, percent
from ui.plots import CLASS_COLORS, CLASS_SYMBOLS, FONT, percent_axis, share_axis
from ui.state import current

st.title(_("Few labels"))
st.markdown(
    _(
        "Labels are expensive, unlabelled data is cheap. An autoencoder learns from **all** the training data "
        "without labels; then its encoder, with one linear layer on top, is trained as a classifier on only 1%, "
        "10% or all of the labels. It is compared with the same network trained from scratch and with the classic "
        "recipe, PCA + logistic regression, and with a logistic regression on the (frozen) autoencoder codes."
    )
)
checkpoint, data = current()
if not data.has_labels:
    st.info(_("`{dataset}` has no labels; choose a model trained on labelled data (e.g. digits).", dataset=data.spec))
    st.stop()
FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
fractions = sorted(
    st.multiselect(
        _("Label fractions"),
        FRACTIONS,
        default=[0.01, 0.1, 1.0],
        key="few_fractions",
        placeholder=_("Choose fractions"),
        format_func={f: percent(f, 0) for f in FRACTIONS}.get,  # worded now, in this session's language
    )
)
key = ("few", data.spec, tuple(fractions))
shipped = load_view(checkpoint.path, "few_labels", dataset=data.spec, fractions=fractions)
if key not in st.session_state and shipped is not None:
    st.session_state[key] = shipped
    st.caption(_("Computed in advance for this shipped model; press Recompute to train everything again here."))
label = _("Recompute") if key in st.session_state else _("Run the comparison")
if st.button(label, type="primary", icon=":material/play_arrow:", disabled=not fractions):
    bar = st.progress(0.0, text=_("Training the autoencoder on all the (unlabelled) training data…"))
    steps = iter(range(1, len(fractions) + 2))

    def advance(text: str) -> None:
        bar.progress(next(steps) / (len(fractions) + 1), text=_(text))

    st.session_state[key] = label_fraction_curve(
        data.x_train, data.y_train, data.x_test, data.y_test, fractions, threads=1, on_step=advance
    )
    bar.empty()
if key not in st.session_state:
    st.caption(_("On digits this takes about a minute on two cores."))
    st.stop()
curves = st.session_state[key]
figure = go.Figure(
    [
        go.Scatter(
            x=curves["fractions"],
            y=curves[name],
            name=_(name),
            mode="lines+markers",
            line=dict(color=CLASS_COLORS[i], width=3),
            marker=dict(size=9, symbol=CLASS_SYMBOLS[i + 6]),
        )
        for i, name in enumerate(METHODS)
    ]
)
figure.update_layout(
    xaxis=percent_axis(_("share of training labels"), curves["fractions"]),
    yaxis=share_axis(_("test accuracy"), [v for name in METHODS for v in curves[name]]),
    height=400,
    margin=dict(t=20),
    font=FONT,
)
st.plotly_chart(figure)
st.dataframe(
    {_("labels"): [percent(f, 0) for f in curves["fractions"]]}
    | {_(name): [percent(v) for v in curves[name]] for name in METHODS},
    hide_index=True,
)
