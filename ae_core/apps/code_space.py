"""Using the code space: kNN classification (AEkNN), k-means clustering and semantic hashing."""

from __future__ import annotations

import time

import numpy as np
from sklearn import metrics as skm
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier


def knn_accuracy(x_train, y_train, x_test, y_test, k: int = 5) -> dict[str, float]:
    """Accuracy and query time of k-nearest-neighbour classification in the given space."""
    flat_train, flat_test = np.reshape(x_train, (len(x_train), -1)), np.reshape(x_test, (len(x_test), -1))
    classifier = KNeighborsClassifier(n_neighbors=k).fit(flat_train, y_train)
    start = time.perf_counter()
    predicted = classifier.predict(flat_test)
    seconds = time.perf_counter() - start
    return {
        "accuracy": float((predicted == y_test).mean()),
        "query_ms_per_sample": 1000 * seconds / len(flat_test),
        "dimensions": int(flat_train.shape[1]),
    }


def cluster_scores(x, y, n_clusters: int, seed: int = 0) -> dict[str, float]:
    """k-means on ``x``: normalised mutual information and adjusted Rand index against labels."""
    found = KMeans(n_clusters, n_init=10, random_state=seed).fit_predict(np.reshape(x, (len(x), -1)))
    return {
        "nmi": float(skm.normalized_mutual_info_score(y, found)),
        "ari": float(skm.adjusted_rand_score(y, found)),
        "clusters": found,
    }


def binary_codes(codes: np.ndarray, thresholds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bits from real codes: each dimension thresholded at its median (so every bit splits the
    data in half, the usual choice for hashing). Returns the bits and the thresholds used."""
    thresholds = np.median(codes, axis=0) if thresholds is None else thresholds
    return (codes > thresholds).astype(np.uint8), thresholds


def pca_bits(x_train, x_test, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Thresholded-PCA hashing: the first ``bits`` principal components, median-thresholded."""
    pca = PCA(bits, random_state=0).fit(np.reshape(x_train, (len(x_train), -1)))
    train, thresholds = binary_codes(pca.transform(np.reshape(x_train, (len(x_train), -1))))
    test, _ = binary_codes(pca.transform(np.reshape(x_test, (len(x_test), -1))), thresholds)
    return train, test


def random_bits(n_database: int, n_queries: int, bits: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The baseline every hashing must beat: fair coin flips, ``bits`` per item, for a database
    and its queries (seeds ``seed`` and ``seed + 1``), in the form ``binary_codes`` returns."""
    database = np.random.default_rng(seed).integers(0, 2, (n_database, bits), dtype=np.uint8)
    queries = np.random.default_rng(seed + 1).integers(0, 2, (n_queries, bits), dtype=np.uint8)
    return database, queries


def hamming_neighbours(database: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` database codes nearest each query by Hamming distance (ties by index)."""
    distances = (queries[:, None, :] != database[None, :, :]).sum(axis=2)
    return np.argsort(distances, axis=1, kind="stable")[:, :k]


def precision_at_k(db_bits, db_labels, query_bits, query_labels, k: int = 10) -> float:
    """Mean share of the ``k`` Hamming-nearest database items that have the query's label."""
    neighbours = hamming_neighbours(db_bits, query_bits, k)
    return float((db_labels[neighbours] == np.asarray(query_labels)[:, None]).mean())
