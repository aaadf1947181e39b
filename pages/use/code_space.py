"""Code space: kNN classification, clustering and semantic hashing on autoencoder codes."""

import streamlit as st

from ae_core.apps.code_space import (
    cluster_scores,
    hamming_neighbours,
    knn_accuracy,
    median_bits,
    pca_bits,
    precision_at_k,
    random_bits,
)
from ui.i18n import _
from ui.shared import shared
from ui.state import codes_of, current, entries, load_entry, model_key
from ui.widgets import show_samples

st.title(_("Code space"))
st.markdown(
    _(
        "A good code keeps what matters about a sample in a few numbers. Three ways to use that: **classify** a "
        "sample by its nearest neighbours among the codes (AEkNN), **cluster** the codes with k-means, and turn "
        "codes into **bits** so that similar items get nearby binary addresses (semantic hashing). Each is compared "
        "with doing the same on the raw inputs or with PCA."
    )
)
checkpoint, data = current()
if not data.has_labels:
    st.info(
        _("`{dataset}` has no labels to score against; choose a model trained on labelled data.", dataset=data.spec)
    )
    st.stop()
key = model_key(checkpoint)
train_codes = codes_of(checkpoint, key, data.spec, "train", 100_000)[0]
test_codes = codes_of(checkpoint, key, data.spec, "test", 100_000)[0]

st.subheader(_("k-nearest-neighbour classification"))
k = st.slider(_("Neighbours k"), 1, 25, 5, key="codes_k")
raw = shared((data.spec, k), knn_accuracy, data.x_train, data.y_train, data.x_test, data.y_test, k)
coded = shared((key, data.spec, k), knn_accuracy, train_codes, data.y_train, test_codes, data.y_test, k)
a, b = st.columns(2)
a.metric(_("raw inputs ({count} numbers)", count=raw["dimensions"]), f"{raw['accuracy']:.3f}", help=_("test accuracy"))
a.caption(_("{time} ms per query", time=f"{raw['query_ms_per_sample']:.3f}"))
b.metric(
    _("codes ({count} numbers)", count=coded["dimensions"]),
    f"{coded['accuracy']:.3f}",
    f"{coded['accuracy'] - raw['accuracy']:+.3f}",
    help=_("test accuracy"),
)
b.caption(_("{time} ms per query", time=f"{coded['query_ms_per_sample']:.3f}"))

st.subheader(_("k-means clustering"))
clusters = st.slider(_("Clusters"), 2, 30, len(data.label_names or []) or 10, key="codes_clusters")
on_raw = shared((data.spec, clusters), cluster_scores, data.x_test, data.y_test, clusters)
on_codes = shared((key, data.spec, clusters), cluster_scores, test_codes, data.y_test, clusters)
a, b = st.columns(2)
a.metric(_("raw inputs: NMI · ARI"), f"{on_raw['nmi']:.3f} · {on_raw['ari']:.3f}")
b.metric(_("codes: NMI · ARI"), f"{on_codes['nmi']:.3f} · {on_codes['ari']:.3f}")
st.caption(_("NMI and ARI compare the clusters with the true labels: 1 is perfect agreement, 0 is chance."))

st.subheader(_("Semantic hashing"))
hashers = [e.name for e in entries() if e.parsed.dataset == data.spec and e.parsed.model.name == "hashing"]
source = st.selectbox(
    _("Bits from"),
    hashers + ["median"],
    key="codes_hasher",
    format_func={"median": _("this model's code, median-thresholded"), **{h: h for h in hashers}}.get,
)
if source in hashers:
    hasher = load_entry(source)
    db_bits = shared((model_key(hasher), data.spec, "train"), hasher.model.bits, data.x_train)
    query_bits = shared((model_key(hasher), data.spec, "test"), hasher.model.bits, data.x_test)
else:
    db_bits, query_bits = shared((key, data.spec), median_bits, train_codes, test_codes)
n_bits = db_bits.shape[1]
pca_db, pca_query = shared((data.spec, n_bits), pca_bits, data.x_train, data.x_test, n_bits)
random_db, random_query = random_bits(len(db_bits), len(query_bits), n_bits)
top = st.slider(_("Retrieve k"), 1, 50, 10, key="codes_topk")
cols = st.columns(3)
for col, (label, db, query) in zip(
    cols,
    [
        (_("autoencoder bits"), db_bits, query_bits),
        (_("thresholded PCA"), pca_db, pca_query),
        (_("random bits"), random_db, random_query),
    ],
):
    precision = shared((key, source, label, data.spec, top), precision_at_k, db, data.y_train, query, data.y_test, top)
    col.metric(_("{method}: precision@{k}", method=label, k=top), f"{precision:.3f}")
st.caption(
    _(
        "{bits}-bit codes; precision@k is the share of the k Hamming-nearest training items with the query's label.",
        bits=n_bits,
    )
)
index = st.number_input(_("Query: test sample"), 0, len(data.x_test) - 1, 0, key="codes_query")
nearest = hamming_neighbours(db_bits, query_bits[[int(index)]], 12)[0]
if data.kind == "image":
    show_samples(data.x_test[[int(index)]], caption=_("query"))
    show_samples(data.x_train[nearest], caption=_("its 12 Hamming-nearest training items"), columns=12)
