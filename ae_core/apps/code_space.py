"""Using the code space: kNN classification (AEkNN), k-means clustering and semantic hashing."""

from __future__ import annotations

import numbers
import time

import numpy as np
from sklearn import metrics as skm
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_is_fitted

from ae_core.system.parameters import check_parameter


def knn_accuracy(x_train, y_train, x_test, y_test, k: int = 5) -> dict[str, float]:
    """Accuracy and query time of k-nearest-neighbour classification in the given space.

    Samples are flattened to vectors; the classifier is fitted on the training set and timed on the test set.

    Parameters
    ----------
    x_train, y_train : array-like
        Training samples (N, ...) and their labels.
    x_test, y_test : array-like
        Test samples and labels.
    k : int, default 5
        Neighbours per vote.

    Returns
    -------
    dict
        ``accuracy`` (share of test samples right), ``query_ms_per_sample`` (milliseconds) and
        ``dimensions`` (the flattened width).
    """
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
    """k-means on ``x``: normalised mutual information and adjusted Rand index against labels.

    Parameters
    ----------
    x : array-like of shape (N, ...)
        Flattened to vectors.
    y : array-like of shape (N,)
        The labels.
    n_clusters : int
    seed : int, default 0
        Seeds k-means (10 starts).

    Returns
    -------
    dict
        ``nmi`` and ``ari`` (floats) and ``clusters`` (each sample's cluster, an int array).
    """
    found = KMeans(n_clusters, n_init=10, random_state=seed).fit_predict(np.reshape(x, (len(x), -1)))
    return {
        "nmi": float(skm.normalized_mutual_info_score(y, found)),
        "ari": float(skm.adjusted_rand_score(y, found)),
        "clusters": found,
    }


class CodeBinarizer(BaseEstimator):
    """Bits from real codes: each dimension thresholded at a quantile of the training codes (the
    median by default, so every bit splits the data in half, the usual choice for hashing).

    Parameters
    ----------
    quantile : float
        Where each dimension is cut, in (0, 1): 0.5 is the median.

    Attributes
    ----------
    thresholds_ : ndarray of shape (n_dimensions,)
        The cut of each dimension; a value above it is a 1.
    """

    def __init__(self, quantile: float = 0.5):
        self.quantile = quantile

    def fit(self, codes: np.ndarray, y=None) -> CodeBinarizer:
        """Find each dimension's threshold in ``codes`` ``(N, dimensions)``; returns ``self``.

        Parameters
        ----------
        codes : array-like of shape (N, dimensions)
        y : ignored

        Returns
        -------
        CodeBinarizer
            ``self``, with ``thresholds_``.

        Raises
        ------
        ValueError
            If ``quantile`` is not in (0, 1) or ``codes`` is not a non-empty 2-D array.
        """
        check_parameter(self.quantile, "quantile", numbers.Real, 0, 1, include_boundaries="neither")
        codes = np.asarray(codes)
        if codes.ndim != 2 or len(codes) == 0:
            raise ValueError(f"need codes as a non-empty (N, dimensions) array, got shape {codes.shape}")
        self.thresholds_ = np.quantile(codes, self.quantile, axis=0)
        return self

    def transform(self, codes: np.ndarray) -> np.ndarray:
        """The bits of ``codes``, uint8 of the same shape.

        Parameters
        ----------
        codes : array-like of shape (N, dimensions)

        Returns
        -------
        np.ndarray
            1 where a value is above its dimension's threshold, else 0.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "thresholds_")
        return (np.asarray(codes) > self.thresholds_).astype(np.uint8)


def median_bits(train_codes: np.ndarray, test_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median-thresholded bits of training and test codes, the thresholds found on the training codes.

    Parameters
    ----------
    train_codes : np.ndarray of shape (N, dimensions)
    test_codes : np.ndarray of shape (M, dimensions)

    Returns
    -------
    tuple of np.ndarray
        The training and test bits, uint8.
    """
    binarizer = CodeBinarizer().fit(train_codes)
    return binarizer.transform(train_codes), binarizer.transform(test_codes)


def pca_bits(x_train, x_test, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Thresholded-PCA hashing: the first ``bits`` principal components, median-thresholded.

    Parameters
    ----------
    x_train : array-like of shape (N, ...)
        Flattened; PCA and the medians are fitted on it.
    x_test : array-like of shape (M, ...)
    bits : int

    Returns
    -------
    tuple of np.ndarray
        The training and test bits, uint8 of shapes (N, bits) and (M, bits).
    """
    pca = PCA(bits, random_state=0).fit(np.reshape(x_train, (len(x_train), -1)))
    return median_bits(
        pca.transform(np.reshape(x_train, (len(x_train), -1))), pca.transform(np.reshape(x_test, (len(x_test), -1)))
    )


def random_bits(n_database: int, n_queries: int, bits: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The baseline every hashing must beat: fair coin flips, ``bits`` per item, for a database
    and its queries (seeds ``seed`` and ``seed + 1``), in the form ``binary_codes`` returns.

    Parameters
    ----------
    n_database : int
    n_queries : int
    bits : int
    seed : int, default 0

    Returns
    -------
    tuple of np.ndarray
        uint8 bits of shapes (n_database, bits) and (n_queries, bits).
    """
    database = np.random.default_rng(seed).integers(0, 2, (n_database, bits), dtype=np.uint8)
    queries = np.random.default_rng(seed + 1).integers(0, 2, (n_queries, bits), dtype=np.uint8)
    return database, queries


def hamming_neighbours(database: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` database codes nearest each query by Hamming distance (ties by index).

    Parameters
    ----------
    database : np.ndarray of shape (N, bits)
    queries : np.ndarray of shape (M, bits)
    k : int

    Returns
    -------
    np.ndarray of shape (M, min(k, N))
        Nearest first.
    """
    distances = (queries[:, None, :] != database[None, :, :]).sum(axis=2)
    return np.argsort(distances, axis=1, kind="stable")[:, :k]


def precision_at_k(db_bits, db_labels, query_bits, query_labels, k: int = 10) -> float:
    """Mean share of the ``k`` Hamming-nearest database items that have the query's label.

    Parameters
    ----------
    db_bits : np.ndarray of shape (N, bits)
    db_labels : np.ndarray of shape (N,)
    query_bits : np.ndarray of shape (M, bits)
    query_labels : array-like of shape (M,)
    k : int, default 10

    Returns
    -------
    float
        In [0, 1].
    """
    neighbours = hamming_neighbours(db_bits, query_bits, k)
    return float((db_labels[neighbours] == np.asarray(query_labels)[:, None]).mean())
