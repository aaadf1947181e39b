"""The projectors: scikit-learn estimators that draw codes on a 2-D or 3-D map and back.

``fit`` stores ``embedding_``; ``transform`` places new codes on the map where the method can
(PCA, UMAP, raw codes; t-SNE cannot and says so); ``inverse_transform`` turns map positions
back into codes: exactly for PCA and raw codes, approximately for UMAP (its own inverse) and
t-SNE (inverse-distance weighting of the nearest points' codes). ``exact_inverse`` tells which.

This module imports scikit-learn, so it is imported only once a map is asked for (see
``projection.make_projector``): not on a page's first view.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from ae_core.system.parameters import check_parameter


def check_codes(codes) -> np.ndarray:
    """``codes`` as a float32 ``(N, latent_dim)`` array of at least 3 rows, or a ValueError.

    Parameters
    ----------
    codes : array-like

    Returns
    -------
    np.ndarray

    Raises
    ------
    ValueError
        If it is not 2-D or has fewer than 3 rows.
    """
    codes = np.asarray(codes, np.float32)
    if codes.ndim != 2 or len(codes) < 3:
        raise ValueError(f"need at least 3 codes as an (N, latent_dim) array, got shape {codes.shape}")
    return codes


class Projector(BaseEstimator):
    """A map of codes (the base of every projector).

    Parameters
    ----------
    n_components : int
        Dimensions of the map: 2 or 3.
    seed : int
        Random seed of the method, for repeatable maps.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_codes, n_components)
        Where ``fit`` placed each code.
    """

    exact_inverse = True  # inverse_transform returns the code exactly (else: a blend of neighbours)
    can_transform = True  # transform can place new codes on a fitted map
    name = ""
    note = ""  # said on screen next to decodes from this map

    def __init__(self, n_components: int = 2, seed: int = 0):
        self.n_components = n_components
        self.seed = seed

    def _validate(self, codes) -> np.ndarray:
        if self.n_components not in (2, 3) or isinstance(self.n_components, bool):
            raise ValueError(f"a map has 2 or 3 dimensions, got n_components={self.n_components!r}")
        check_parameter(self.seed, "seed")
        return check_codes(codes)

    def transform(self, codes) -> np.ndarray:
        """Positions on the map of new ``codes``, shape ``(N, n_components)``.

        Parameters
        ----------
        codes : array-like of shape (N, latent_dim)

        Returns
        -------
        np.ndarray
            Float32, shape (N, n_components).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "embedding_")
        return self._transform(np.asarray(codes, np.float32))

    def inverse_transform(self, points) -> np.ndarray:
        """Codes for map positions ``points`` (exact when ``exact_inverse``), shape ``(N, latent_dim)``.

        Parameters
        ----------
        points : array-like of shape (N, n_components)

        Returns
        -------
        np.ndarray
            Float32, shape (N, latent_dim).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "embedding_")
        return self._inverse_transform(np.asarray(points, np.float32))


class PCAProjector(Projector):
    """The codes' first 2 or 3 principal components; new codes and decodes are exact.

    Parameters are those of :class:`Projector`. ``pca_`` is the fitted scikit-learn PCA.
    """

    name = "PCA"

    def fit(self, codes, y=None) -> PCAProjector:
        """Fit PCA to ``codes`` ``(N, latent_dim)`` and place them; returns ``self``.

        Parameters
        ----------
        codes : array-like of shape (N, latent_dim)
        y : ignored

        Returns
        -------
        PCAProjector
            ``self``, with ``pca_`` and ``embedding_`` set.

        Raises
        ------
        ValueError
            If ``n_components`` is not 2 or 3, ``seed`` is not a valid seed, or ``codes`` is not an
            (N, latent_dim) array of at least 3 rows, or has fewer than ``n_components`` columns.
        """
        codes = self._validate(codes)
        if codes.shape[1] < self.n_components:
            raise ValueError(
                f"PCA to {self.n_components}-D needs codes of at least {self.n_components} numbers, got {codes.shape[1]}"
            )
        from sklearn.decomposition import PCA

        self.pca_ = PCA(self.n_components, random_state=self.seed).fit(codes)
        self.embedding_ = self.pca_.transform(codes).astype(np.float32)
        return self

    def _transform(self, codes):
        return self.pca_.transform(codes).astype(np.float32)

    def _inverse_transform(self, points):
        # Exact: the point's position in the principal plane plus the mean code.
        return self.pca_.inverse_transform(points).astype(np.float32)


class RawProjector(Projector):
    """The codes themselves, when they have exactly ``n_components`` numbers."""

    name = "raw code"

    def fit(self, codes, y=None) -> RawProjector:
        """Take ``codes`` as the map (they must have ``n_components`` numbers); returns ``self``.

        Parameters
        ----------
        codes : array-like of shape (N, n_components)
        y : ignored

        Returns
        -------
        RawProjector
            ``self``; ``embedding_`` is a copy of the codes.

        Raises
        ------
        ValueError
            If ``n_components`` is not 2 or 3, ``seed`` is not a valid seed, or ``codes`` is not an
            (N, latent_dim) array of at least 3 rows, or has other than ``n_components`` columns.
        """
        codes = self._validate(codes)
        if codes.shape[1] != self.n_components:
            raise ValueError(
                f"the raw code has {codes.shape[1]} dimensions; it can be drawn only when that is {self.n_components}"
            )
        self.embedding_ = codes.copy()
        return self

    def _transform(self, codes):
        return codes

    def _inverse_transform(self, points):
        return points


class NeighbourProjector(Projector):
    """A map that places and decodes points by their nearest neighbours (UMAP, t-SNE).

    ``fit(codes, embedding=...)`` takes a map computed earlier for these codes (cached on disk,
    or shipped with a model) instead of computing it. Besides ``embedding_`` it keeps ``codes_``
    and nearest-neighbour indexes of both.
    """

    exact_inverse = False

    def fit(self, codes, y=None, embedding=None) -> NeighbourProjector:
        """Compute the map of ``codes`` (or take ``embedding``, its map computed earlier); returns ``self``.

        Parameters
        ----------
        codes : array-like of shape (N, latent_dim)
        y : ignored
        embedding : array-like of shape (N, n_components), optional
            A map of these codes computed earlier.

        Returns
        -------
        NeighbourProjector
            ``self``, with ``embedding_``, ``codes_`` and 8-nearest-neighbour indexes of both.

        Raises
        ------
        ValueError
            If ``n_components`` is not 2 or 3, ``seed`` is not a valid seed, or ``codes`` is not an
            (N, latent_dim) array of at least 3 rows, or ``embedding`` has the wrong shape.
        """
        codes = self._validate(codes)
        if embedding is None:
            embedding = self._embed(codes)
        else:
            embedding = np.asarray(embedding, np.float32)
            if embedding.shape != (len(codes), self.n_components):
                raise ValueError(
                    f"a map of {len(codes)} codes in {self.n_components}-D has shape {(len(codes), self.n_components)}, "
                    f"got embedding of shape {embedding.shape}"
                )
        self.embedding_ = embedding
        self.codes_ = codes
        self.map_neighbors_ = NearestNeighbors(n_neighbors=min(8, len(codes))).fit(embedding)
        self.code_neighbors_ = NearestNeighbors(n_neighbors=min(8, len(codes))).fit(codes)
        return self

    def _blend(self, index_from, values, queries) -> np.ndarray:
        distances, index = index_from.kneighbors(np.asarray(queries, np.float32))
        weights = 1.0 / (distances + 1e-6)
        weights /= weights.sum(axis=1, keepdims=True)
        return np.einsum("nk,nkd->nd", weights, values[index]).astype(np.float32)

    def _transform(self, codes):
        # Without the method's own search index new codes are placed among their nearest neighbours.
        return self._blend(self.code_neighbors_, self.embedding_, codes)

    def _inverse_transform(self, points):
        return self._blend(self.map_neighbors_, self.codes_, points)


class UMAPProjector(NeighbourProjector):
    """UMAP's map of the codes (umap-learn); ``umap_`` is the fitted UMAP, None for a map given
    to ``fit`` as ``embedding``. Parameters are those of :class:`Projector`."""

    name = "UMAP"
    note = "approximate: the code is blended from the nearest points' codes"

    def _embed(self, codes):
        from umap import UMAP  # imported late: it compiles numba code on first use

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
            return self.umap_.fit_transform(codes).astype(np.float32)

    def fit(self, codes, y=None, embedding=None) -> UMAPProjector:
        """Compute the UMAP map of ``codes`` (or take ``embedding``, computed earlier); returns ``self``.

        Parameters
        ----------
        codes : array-like of shape (N, latent_dim)
        y : ignored
        embedding : array-like of shape (N, n_components), optional
            A map of these codes computed earlier; ``umap_`` is then None.

        Returns
        -------
        UMAPProjector

        Raises
        ------
        ValueError
            If ``n_components`` is not 2 or 3, ``seed`` is not a valid seed, or ``codes`` is not an
            (N, latent_dim) array of at least 3 rows, or ``embedding`` has the wrong shape.
        """
        super().fit(codes, y, embedding)  # computing the map sets umap_
        if embedding is not None:
            self.umap_ = None
        return self

    # inverse_transform is quick and approximate: UMAP's own inverse (``umap_inverse_transform``)
    # takes about 15 s per call on a 10,000-point map on 2 cores, too slow for click-to-decode.

    def umap_inverse_transform(self, points) -> np.ndarray:
        """UMAP's own inverse transform (slow); needs a map computed by this projector's ``fit``.

        Parameters
        ----------
        points : array-like of shape (N, n_components)

        Returns
        -------
        np.ndarray
            Float32 codes, shape (N, latent_dim).

        Raises
        ------
        ValueError
            If the map was given to ``fit`` as ``embedding`` rather than computed.
        """
        check_is_fitted(self, "embedding_")
        if self.umap_ is None:
            raise ValueError("this UMAP map was read from the cache; recompute it to use UMAP's own inverse transform")
        return self.umap_.inverse_transform(np.asarray(points, np.float32)).astype(np.float32)


class TSNEProjector(NeighbourProjector):
    """scikit-learn's t-SNE map of the codes; it cannot place new codes (``transform`` says so).
    Parameters are those of :class:`Projector`."""

    name = "t-SNE"
    can_transform = False
    note = "approximate: t-SNE has no inverse; the code is blended from the nearest points' codes"

    def _embed(self, codes):
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (len(codes) - 1) / 3)
        tsne = TSNE(self.n_components, perplexity=perplexity, random_state=self.seed, init="pca")
        return tsne.fit_transform(codes).astype(np.float32)

    def transform(self, codes):
        """Always a ValueError: t-SNE cannot place new points on an existing map.

        Parameters
        ----------
        codes : array-like
            Ignored.

        Raises
        ------
        ValueError
            Always.
        """
        raise ValueError("t-SNE cannot place new points on an existing map; use PCA or UMAP for that")


PROJECTORS = {"pca": PCAProjector, "umap": UMAPProjector, "tsne": TSNEProjector, "raw": RawProjector}
