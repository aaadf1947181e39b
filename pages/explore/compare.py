"""Compare with PCA: the same data through PCA and the chosen autoencoder, with the same code size."""

import numpy as np
import streamlit as st

from ae_core.apps.pca_comparison import PCABaseline, error_against_code_size, principal_angles, train_linear_autoencoder
from ae_core.checkpoints import CheckpointError, list_snapshots, load_snapshot
from ae_core.explore.projection import aligned_pca
from ae_core.explore.views import load_view
from ae_core.models.metrics import evaluate
from ui.drawn import drawn_once
from ui.i18n import _
from ui.plots import error_curves, scatter_2d
from ui.shared import shared
from ui.state import current, model_key
from ui.widgets import LARGE_KEY, show_samples

st.title(_("Compare with PCA"))
st.markdown(
    _(
        "PCA is the best *linear* code of a given size. An autoencoder with non-linear layers can do better with the "
        "same number of code values — or not, on small data. Below, the same test samples go through both; then the "
        "error as the code grows, whether a **linear** autoencoder finds PCA's subspace, and how reconstructions "
        "improve with training epochs."
    )
)

checkpoint, data = current()
model, k = checkpoint.model, checkpoint.model.latent_dim


@st.cache_resource(show_spinner=_("Fitting PCA…"), max_entries=8)
def baseline(_x_train, key: str, k: int) -> PCABaseline:
    return PCABaseline(k).fit(_x_train)


try:
    pca = baseline(data.x_train, f"{checkpoint.dataset}:{model_key(checkpoint)}", k)
except ValueError as exc:
    st.error(_("PCA cannot be fitted here: {error}", error=exc))
    st.stop()

rows = data.random_test_rows(10)
x = data.x_test[rows]
cache_key = (model_key(checkpoint), data.spec, k)


def pca_test_error() -> float:
    return float(pca.errors(data.x_test).mean())


def same_code_size() -> None:
    st.subheader(_("Same code size: {size} numbers", size=k))
    ae_mean = evaluate(model, data.x_test)["sse_per_sample"]
    pca_mean = shared(cache_key, pca_test_error)
    a, b = st.columns(2)
    a.metric(_("Autoencoder: test error per sample"), f"{ae_mean:.3f}")
    b.metric(
        _("PCA: test error per sample"),
        f"{pca_mean:.3f}",
        delta=_("{difference} vs autoencoder", difference=f"{pca_mean - ae_mean:+.3f}"),
        delta_color="off",
    )
    if data.kind == "image":
        show_samples(
            np.concatenate([x, model.reconstruct(x), pca.reconstruct(x)]),
            columns=len(x),
            caption=_("Rows: test inputs, the autoencoder's reconstructions, PCA's reconstructions."),
        )

    st.subheader(_("The two codes as maps"))
    left, right = st.columns(2)
    labels = data.y_test
    left.plotly_chart(
        scatter_2d(
            aligned_pca(model.embed(data.x_test)), labels, data.label_names, _("Autoencoder code (2-D PCA of it)")
        )
    )
    right.plotly_chart(
        scatter_2d(aligned_pca(pca.embed(data.x_test)), labels, data.label_names, _("PCA code (first two components)"))
    )


# The same for every student with this model: computed and drawn once per server, replayed after.
drawn_once((*cache_key, bool(st.session_state.get(LARGE_KEY))), same_code_size)
pca_mean = shared(cache_key, pca_test_error)

st.subheader(_("Error against code size"))
sizes = sorted(
    st.multiselect(
        _("Code sizes"),
        [1, 2, 4, 8, 16, 32, 64],
        default=[2, 4, 8, 16, 32],
        key="compare_sizes",
        placeholder=_("Choose code sizes"),
    )
)
sweep_key = f"sweep:{checkpoint.dataset}:{sizes}"
shipped = load_view(checkpoint.path, "code_size_sweep", dataset=data.spec, sizes=sizes)
if sweep_key not in st.session_state and shipped is not None:
    st.session_state[sweep_key] = shipped
    st.caption(_("Computed in advance for this shipped model; press Recompute to train them again here."))
label = _("Recompute") if sweep_key in st.session_state else _("Train an autoencoder for each size")
if st.button(label, icon=":material/play_arrow:", disabled=not sizes):
    bar = st.progress(0.0, text=_("Training…"))
    try:
        st.session_state[sweep_key] = error_against_code_size(
            data.x_train,
            data.x_test,
            sizes,
            threads=1,
            on_size=lambda i, n: bar.progress(i / n, text=_("{done} of {total} code sizes done", done=i, total=n)),
        )
    except ValueError as exc:
        st.error(_("The sweep could not run: {error}", error=exc))
    bar.empty()
if sweep_key in st.session_state:
    sweep = st.session_state[sweep_key]
    drawn_once((repr(sweep),), lambda: st.plotly_chart(error_curves(sweep)))  # the shipped sweep: once per server
    st.caption(_("Each autoencoder is a deep model trained for 40 epochs; PCA is exact. Both on the same test split."))

st.subheader(_("A linear autoencoder finds PCA's subspace"))
linear_key = f"linear:{checkpoint.dataset}:{k}"
if checkpoint.parsed.model.name == "linear":
    st.session_state[linear_key] = model
elif st.button(_("Train a linear autoencoder with a code of {size} numbers", size=k), icon=":material/play_arrow:"):
    with st.spinner(_("Training a linear autoencoder on the training split…")):
        st.session_state[linear_key] = train_linear_autoencoder(data.x_train, k, threads=1)
if linear_key in st.session_state:
    linear = st.session_state[linear_key]
    angles = principal_angles(linear, pca)
    one, two = st.columns(2)
    one.metric(_("Largest principal angle to PCA's subspace"), f"{angles.max():.1f}°")
    two.metric(_("Its test error ÷ PCA's"), f"{evaluate(linear, data.x_test)['sse_per_sample'] / pca_mean:.3f}")
    st.bar_chart({_("angle (degrees)"): angles}, x_label=_("principal angle"), y_label=_("degrees"), height=220)
    st.caption(
        _(
            "Angles near 0° mean the same subspace: the linear autoencoder learned PCA, up to a rotation of its "
            "axes. It trains on all of PCA's data with L-BFGS, a second-order method: plain gradient descent "
            "settles the directions of two nearly equal PCA variances only slowly, leaving a larger last angle "
            "while the error is already PCA's."
        )
    )


def snapshot_reconstructions(shown: np.ndarray, epochs: list[int]) -> list[np.ndarray]:
    return [load_snapshot(checkpoint, e).reconstruct(shown) for e in epochs]


st.subheader(_("Reconstructions as training goes on"))
snapshots = list_snapshots(checkpoint.path)
if not snapshots:
    st.info(
        _(
            "This model kept no epoch snapshots. On the Train page, choose “Keep snapshots at epochs” "
            "(e.g. 20, 30, 40, 50) and come back with that model."
        )
    )
else:
    shown = x[:8]
    try:
        pictures = shared((*cache_key, tuple(sorted(snapshots))), snapshot_reconstructions, shown, sorted(snapshots))
    except CheckpointError as exc:
        st.error(_("The snapshots cannot be read: {error}", error=exc))
        st.stop()
    if data.kind == "image":
        show_samples(
            np.concatenate([shown, *pictures]),
            columns=len(shown),
            caption=_(
                "Rows: inputs, then reconstructions after epochs {epochs}",
                epochs=", ".join(map(str, sorted(snapshots))),
            ),
        )
