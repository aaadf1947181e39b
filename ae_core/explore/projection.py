"""Making maps of codes: a projector for a method, and maps computed once and read back from
the on-disk cache. The projectors themselves (scikit-learn estimators) are in ``projectors``,
imported here only when a map is asked for, so that scikit-learn is not loaded on a page's
first view (this module's ``METHODS`` is).
"""

from __future__ import annotations

import numpy as np

from ae_core.system.cache import fingerprint, load_arrays, save_arrays

METHODS = ("pca", "umap", "tsne", "raw")


def make_projector(method: str, n_components: int = 2, seed: int = 0):
    """A fresh, unfitted projector.

    Parameters
    ----------
    method : str
        One of ``METHODS``: "pca", "umap", "tsne" or "raw".
    n_components : int
        Dimensions of the map, 2 or 3 (checked by the projector's ``fit``).
    seed : int
        Random seed of the method.

    Returns
    -------
    projectors.Projector
        ``PCAProjector``, ``UMAPProjector``, ``TSNEProjector`` or ``RawProjector``.
    """
    if method not in METHODS:
        raise ValueError(f"projection method must be one of {METHODS}, got {method!r}")
    from ae_core.explore.projectors import PROJECTORS

    return PROJECTORS[method](n_components=n_components, seed=seed)


def project(method: str, codes: np.ndarray, n_components: int = 2, seed: int = 0, cache_key: str | None = None):
    """A fitted projector for ``codes``, its map read from the on-disk cache when it is there.

    Parameters
    ----------
    method : str
        One of ``METHODS``.
    codes : ndarray of shape (n_codes, latent_dim)
        At least 3 codes.
    n_components, seed : int
        As for ``make_projector``.
    cache_key : str or None
        Names the codes' source (the model): with it, a UMAP or t-SNE map is read from (or written
        to) the cache, so the same map comes back at once, also after a restart.

    Returns
    -------
    projectors.Projector
        Fitted. A UMAP map read from the cache has no fitted UMAP in memory, so only the quick
        neighbour inverse is available for it.
    """
    from ae_core.explore.projectors import check_codes

    projector = make_projector(method, n_components, seed)
    codes = check_codes(codes)
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
    """A UMAP or t-SNE projector for a map computed earlier (cached, or shipped with a model).

    Parameters
    ----------
    method : str
        "umap" or "tsne".
    codes : ndarray of shape (n_codes, latent_dim)
        The codes the map was computed from.
    embedding : ndarray of shape (n_codes, 2 or 3)
        Their map.
    seed : int
        The seed it was computed with.

    Returns
    -------
    projectors.NeighbourProjector
        Fitted with ``fit(codes, embedding=embedding)``: it places and decodes points by
        neighbours, as one that computed the map does.
    """
    if method not in ("umap", "tsne"):
        raise ValueError(f"only UMAP and t-SNE maps are stored; {method!r} is refitted at once")
    embedding = np.asarray(embedding, np.float32)
    return make_projector(method, embedding.shape[1], seed).fit(codes, embedding=embedding)


def warm_up_umap() -> None:
    """Fit UMAP once on a little random data so numba compiles (and caches on disk) its code
    before a user asks for a map."""
    make_projector("umap").fit(np.random.default_rng(0).random((300, 4), dtype=np.float32))


def aligned_pca(codes: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """2-D PCA of ``codes``, rotated/reflected to best match ``reference`` (orthogonal
    Procrustes), so successive snapshots of a changing map do not flip and spin.

    A one-number code is drawn centred on the x axis.

    Parameters
    ----------
    codes : np.ndarray of shape (N, latent_dim)
    reference : np.ndarray of shape (N, 2), optional
        The previous snapshot; ignored when its shape differs.

    Returns
    -------
    np.ndarray of shape (N, 2)
        Float32.
    """
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
