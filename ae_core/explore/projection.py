"""Projecting codes onto a 2-D or 3-D map and back, with scikit-learn conventions.

``fit`` stores ``embedding_``; ``transform`` places new codes on the map where the method can
(PCA, UMAP, raw codes; t-SNE cannot and says so); ``inverse_transform`` turns map positions
back into codes: exactly for PCA and raw codes, approximately for UMAP (its own inverse) and
t-SNE (inverse-distance weighting of the nearest points' codes). ``exact_inverse`` tells which.
"""

from __future__ import annotations

import warnings

import numpy as np

from ae_core.system.cache import fingerprint, load_arrays, save_arrays

METHODS = ("pca", "umap", "tsne", "raw")


def make_projector(method: str, n_components: int = 2, seed: int = 0):
    """A fresh projector for ``method`` in ``METHODS``."""
    if method not in METHODS:
        raise ValueError(f"projection method must be one of {METHODS}, got {method!r}")
    if n_components not in (2, 3):
        raise ValueError(f"a map has 2 or 3 dimensions, got {n_components}")
    return {"pca": PCAProjector, "umap": UMAPProjector, "tsne": TSNEProjector, "raw": RawProjector}[method](
        n_components, seed
    )


class _Projector:
    exact_inverse = True
    can_transform = True
    name = ""
    note = ""  # said on screen next to decodes from this map

    def _remember(self, codes: np.ndarray) -> None:
        """Keep codes and positions so positions can be turned back into codes by neighbours."""
        self.codes_ = codes
        from sklearn.neighbors import NearestNeighbors  # scikit-learn only once a map is fitted

        self.map_neighbors_ = NearestNeighbors(n_neighbors=min(8, len(codes))).fit(self.embedding_)
        self.code_neighbors_ = NearestNeighbors(n_neighbors=min(8, len(codes))).fit(codes)

    def _blend(self, index_from, values, queries) -> np.ndarray:
        distances, index = index_from.kneighbors(np.asarray(queries, np.float32))
        weights = 1.0 / (distances + 1e-6)
        weights /= weights.sum(axis=1, keepdims=True)
        return np.einsum("nk,nkd->nd", weights, values[index]).astype(np.float32)

    def __init__(self, n_components: int = 2, seed: int = 0):
        self.n_components = n_components
        self.seed = seed

    def _check(self, codes) -> np.ndarray:
        codes = np.asarray(codes, np.float32)
        if codes.ndim != 2 or len(codes) < 3:
            raise ValueError(f"need at least 3 codes as an (N, latent_dim) array, got shape {codes.shape}")
        return codes


class PCAProjector(_Projector):
    name = "PCA"

    def fit(self, codes):
        codes = self._check(codes)
        if codes.shape[1] < self.n_components:
            raise ValueError(
                f"PCA to {self.n_components}-D needs codes of at least {self.n_components} numbers, got {codes.shape[1]}"
            )
        from sklearn.decomposition import PCA

        self.pca_ = PCA(self.n_components, random_state=self.seed).fit(codes)
        self.embedding_ = self.pca_.transform(codes).astype(np.float32)
        return self

    def transform(self, codes):
        return self.pca_.transform(np.asarray(codes, np.float32)).astype(np.float32)

    def inverse_transform(self, points):
        # Exact: the point's position in the principal plane plus the mean code.
        return self.pca_.inverse_transform(np.asarray(points, np.float32)).astype(np.float32)


class RawProjector(_Projector):
    name = "raw code"

    def fit(self, codes):
        codes = self._check(codes)
        if codes.shape[1] != self.n_components:
            raise ValueError(
                f"the raw code has {codes.shape[1]} dimensions; it can be drawn only when that is {self.n_components}"
            )
        self.embedding_ = codes.copy()
        return self

    def transform(self, codes):
        return np.asarray(codes, np.float32)

    def inverse_transform(self, points):
        return np.asarray(points, np.float32)


class UMAPProjector(_Projector):
    name = "UMAP"
    exact_inverse = False
    note = "approximate: the code is blended from the nearest points' codes"

    def fit(self, codes):
        from sklearn.neighbors import NearestNeighbors
        from umap import UMAP  # imported late: it compiles numba code on first use

        codes = self._check(codes)
        n_neighbors = min(15, len(codes) - 1)
        # Exact neighbours from scikit-learn (about a second for 10,000 codes) spare UMAP's
        # nearest-neighbour descent, whose numba compilation alone takes over a minute on 2 cores.
        distances, index = NearestNeighbors(n_neighbors=n_neighbors).fit(codes).kneighbors(codes)
        self.umap_ = UMAP(
            n_components=self.n_components,
            n_neighbors=n_neighbors,
            random_state=self.seed,
            precomputed_knn=(index, distances, None),
            n_epochs=200,
        )
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", UserWarning
            )  # "n_jobs overridden by random_state": wanted, for repeatable maps
            self.embedding_ = self.umap_.fit_transform(codes).astype(np.float32)
        self._remember(codes)
        return self

    def transform(self, codes):
        # Without UMAP's own search index new codes are placed among their nearest neighbours.
        return self._blend(self.code_neighbors_, self.embedding_, codes)

    def inverse_transform(self, points):
        # Quick and approximate: UMAP's own inverse (``umap_inverse_transform``) takes about 15 s
        # per call on a 10,000-point map on 2 cores, too slow for click-to-decode.
        return self._blend(self.map_neighbors_, self.codes_, points)

    def umap_inverse_transform(self, points):
        """UMAP's own inverse transform (slow); needs the fitted UMAP of this process."""
        if not hasattr(self, "umap_"):
            raise ValueError("this UMAP map was read from the cache; recompute it to use UMAP's own inverse transform")
        return self.umap_.inverse_transform(np.asarray(points, np.float32)).astype(np.float32)


class TSNEProjector(_Projector):
    name = "t-SNE"
    exact_inverse = False
    can_transform = False
    note = "approximate: t-SNE has no inverse; the code is blended from the nearest points' codes"

    def fit(self, codes):
        from sklearn.manifold import TSNE

        codes = self._check(codes)
        perplexity = min(30.0, (len(codes) - 1) / 3)
        tsne = TSNE(self.n_components, perplexity=perplexity, random_state=self.seed, init="pca")
        self.embedding_ = tsne.fit_transform(codes).astype(np.float32)
        self._remember(codes)
        return self

    def transform(self, codes):
        raise ValueError("t-SNE cannot place new points on an existing map; use PCA or UMAP for that")

    def inverse_transform(self, points):
        return self._blend(self.map_neighbors_, self.codes_, points)


def project(method: str, codes: np.ndarray, n_components: int = 2, seed: int = 0, cache_key: str | None = None):
    """A fitted projector for ``codes``; with ``cache_key``, the map is read from (or written to)
    the on-disk cache so the same map comes back at once, also after a restart.

    A UMAP map read from the cache has no fitted UMAP in memory, so only the quick neighbour
    inverse is available for it.
    """
    projector = make_projector(method, n_components, seed)
    codes = projector._check(codes)
    if cache_key is None or method in ("pca", "raw"):  # these two are instant anyway
        return projector.fit(codes)
    key = fingerprint(cache_key, method, str(n_components), str(seed), codes.tobytes())
    cached = load_arrays(key)
    if cached is not None and cached["embedding"].shape == (len(codes), n_components):
        return from_embedding(method, codes, cached["embedding"], seed)
    projector.fit(codes)
    save_arrays(key, {"embedding": projector.embedding_})
    return projector


def from_embedding(method: str, codes: np.ndarray, embedding: np.ndarray, seed: int = 0):
    """A UMAP or t-SNE projector for a map computed earlier (cached, or shipped with a model):
    it places and decodes points by neighbours, as a fitted one does."""
    if method not in ("umap", "tsne"):
        raise ValueError(f"only UMAP and t-SNE maps are stored; {method!r} is refitted at once")
    projector = make_projector(method, embedding.shape[1], seed)
    projector.embedding_ = np.asarray(embedding, np.float32)
    projector._remember(projector._check(codes))
    return projector


def warm_up_umap() -> None:
    """Fit UMAP once on a little random data so numba compiles (and caches on disk) its code
    before a user asks for a map."""
    UMAPProjector(2, 0).fit(np.random.default_rng(0).random((300, 4), dtype=np.float32))


def aligned_pca(codes: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """2-D PCA of ``codes``, rotated/reflected to best match ``reference`` (orthogonal
    Procrustes), so successive snapshots of a changing map do not flip and spin."""
    from scipy.linalg import orthogonal_procrustes
    from sklearn.decomposition import PCA

    codes = np.asarray(codes, np.float64)
    if codes.shape[1] == 1:
        points = np.column_stack([codes[:, 0] - codes[:, 0].mean(), np.zeros(len(codes))])
    else:
        points = PCA(2, random_state=0).fit_transform(codes)
    if reference is not None and reference.shape == points.shape:
        rotation, _ = orthogonal_procrustes(points, reference)
        points = points @ rotation
    return points.astype(np.float32)
