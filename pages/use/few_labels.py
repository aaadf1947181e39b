"""Few labels: unsupervised pretraining of a classifier's encoder."""

import plotly.graph_objects as go
import streamlit as st

from ae_core.pretraining import label_fraction_curve
from ui.i18n import _
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
fractions = st.multiselect(
    _("Label fractions"),
    [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0],
    default=[0.01, 0.1, 1.0],
    key="few_fractions",
    placeholder=_("Choose fractions"),
    format_func=lambda f: f"{f:.0%}",
)
key = ("few", data.spec, tuple(sorted(fractions)))
if st.button(_("Run the comparison"), type="primary", icon=":material/play_arrow:", disabled=not fractions):
    with st.status(_("Training…"), expanded=True) as status:
        st.session_state[key] = label_fraction_curve(
            data.x_train,
            data.y_train,
            data.x_test,
            data.y_test,
            sorted(fractions),
            threads=1,
            on_step=lambda text: st.write(_(text)),
        )
        status.update(label=_("Done"), state="complete", expanded=False)
if key not in st.session_state:
    st.caption(_("On digits this takes about a minute on two cores."))
    st.stop()
curves = st.session_state[key]
figure = go.Figure(
    [
        go.Scatter(x=curves["fractions"], y=values, name=_(name), mode="lines+markers")
        for name, values in curves.items()
        if name != "fractions"
    ]
)
figure.update_layout(
    xaxis=dict(title=_("share of training labels"), type="log", tickformat=".0%"),
    yaxis_title=_("test accuracy"),
    height=400,
    margin=dict(t=20),
)
st.plotly_chart(figure)
st.dataframe(
    {_(name): [f"{v:.3f}" for v in values] for name, values in curves.items() if name != "fractions"}
    | {_("labels"): [f"{f:.0%}" for f in curves["fractions"]]},
    hide_index=True,
)
