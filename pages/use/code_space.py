"""Code space: kNN classification, clustering and semantic hashing on autoencoder codes."""

import numpy as np
import streamlit as st

from ae_core.codes import binary_codes, cluster_scores, hamming_neighbours, knn_accuracy, pca_bits, precision_at_k
from ui.state import codes_of, current, entries, load_entry, model_key
from ui.widgets import show_samples

st.title("Code space")
st.markdown(
    "A good code keeps what matters about a sample in a few numbers. Three ways to use that: **classify** a sample "
    "by its nearest neighbours among the codes (AEkNN), **cluster** the codes with k-means, and turn codes into "
    "**bits** so that similar items get nearby binary addresses (semantic hashing). Each is compared with doing "
    "the same on the raw inputs or with PCA."
)
checkpoint, data = current()
if not data.has_labels:
    st.info(f"`{data.spec}` has no labels to score against; choose a model trained on labelled data.")
    st.stop()
key = model_key(checkpoint)
train_codes, _, _ = codes_of(checkpoint, key, data.spec, "train", 100_000)
test_codes, _, _ = codes_of(checkpoint, key, data.spec, "test", 100_000)

st.subheader("k-nearest-neighbour classification")
k = st.slider("Neighbours k", 1, 25, 5, key="codes_k")
raw = knn_accuracy(data.x_train, data.y_train, data.x_test, data.y_test, k)
coded = knn_accuracy(train_codes, data.y_train, test_codes, data.y_test, k)
a, b = st.columns(2)
a.metric(f"raw inputs ({raw['dimensions']} numbers)", f"{raw['accuracy']:.3f}", help="test accuracy")
a.caption(f"{raw['query_ms_per_sample']:.3f} ms per query")
b.metric(
    f"codes ({coded['dimensions']} numbers)", f"{coded['accuracy']:.3f}", f"{coded['accuracy'] - raw['accuracy']:+.3f}"
)
b.caption(f"{coded['query_ms_per_sample']:.3f} ms per query")

st.subheader("k-means clustering")
clusters = st.slider("Clusters", 2, 30, len(data.label_names or []) or 10, key="codes_clusters")
on_raw, on_codes = cluster_scores(data.x_test, data.y_test, clusters), cluster_scores(test_codes, data.y_test, clusters)
a, b = st.columns(2)
a.metric("raw inputs: NMI · ARI", f"{on_raw['nmi']:.3f} · {on_raw['ari']:.3f}")
b.metric("codes: NMI · ARI", f"{on_codes['nmi']:.3f} · {on_codes['ari']:.3f}")
st.caption("NMI and ARI compare the clusters with the true labels: 1 is perfect agreement, 0 is chance.")

st.subheader("Semantic hashing")
hashers = [e.name for e in entries() if e.config.get("dataset") == data.spec and e.config["model"]["name"] == "hashing"]
source = st.selectbox("Bits from", hashers + ["this model's code, median-thresholded"], key="codes_hasher")
if source in hashers:
    hasher = load_entry(source).model
    db_bits, query_bits = hasher.bits(data.x_train), hasher.bits(data.x_test)
else:
    db_bits, thresholds = binary_codes(train_codes)
    query_bits, _ = binary_codes(test_codes, thresholds)
n_bits = db_bits.shape[1]
pca_db, pca_query = pca_bits(data.x_train, data.x_test, n_bits)
random_db = np.random.default_rng(0).integers(0, 2, db_bits.shape, dtype=np.uint8)
random_query = np.random.default_rng(1).integers(0, 2, query_bits.shape, dtype=np.uint8)
top = st.slider("Retrieve k", 1, 50, 10, key="codes_topk")
cols = st.columns(3)
for col, (label, db, query) in zip(
    cols,
    [
        ("autoencoder bits", db_bits, query_bits),
        ("thresholded PCA", pca_db, pca_query),
        ("random bits", random_db, random_query),
    ],
):
    col.metric(f"{label}: precision@{top}", f"{precision_at_k(db, data.y_train, query, data.y_test, top):.3f}")
st.caption(
    f"{n_bits}-bit codes; precision@k is the share of the k Hamming-nearest training items with the query's label."
)
index = st.number_input("Query: test sample", 0, len(data.x_test) - 1, 0, key="codes_query")
nearest = hamming_neighbours(db_bits, query_bits[[int(index)]], 12)[0]
if data.kind == "image":
    show_samples(data.x_test[[int(index)]], caption="query")
    show_samples(data.x_train[nearest], caption="its 12 Hamming-nearest training items", columns=12)
