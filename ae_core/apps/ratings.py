"""Ratings for the recommender: MovieLens files (``u.data``, ``ratings.csv``, ``ratings.dat``),
the MovieLens 100k download, synthetic ratings, and ``Ratings``, the indexed arrays it trains on
(kept sparse: memory by the ratings, not by users x items)."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ae_core.data.download import fetch
from ae_core.data.sparse_rows import SparseRows
from ae_core.system import limits
from ae_core.system.paths import cache_dir

# MovieLens 100k from GroupLens, checksum as published in its README-accompanying md5 file.
MOVIELENS_100K = ("https://files.grouplens.org/datasets/movielens/ml-100k.zip", "0e33842e24a9c977be4e0107933c0723")
MOVIELENS_ZIP = "ml-100k.zip"


@dataclass(frozen=True)
class Ratings:
    """Ratings as parallel arrays of user, item and rating, with the original ids."""

    users: np.ndarray  # int, 0..n_users-1
    items: np.ndarray  # int, 0..n_items-1
    ratings: np.ndarray  # float
    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def n_users(self) -> int:
        """The number of distinct users."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """The number of distinct items."""
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.ratings)

    def rows(self) -> SparseRows:
        """Items x users, sparse: one row per item, NaN where there is no rating.

        Returns
        -------
        SparseRows
            Shape (n_items, n_users).
        """
        return SparseRows(self.items, self.users, self.ratings, (self.n_items, self.n_users))


def read_ratings(source: str | os.PathLike | bytes, name: str = "ratings") -> pd.DataFrame:
    """A MovieLens ratings file as a DataFrame (user, item, rating): ``u.data`` (tab-separated,
    no header), ``ratings.csv`` (``userId,movieId,rating,...``) or ``ratings.dat`` (``::``).

    The format is told from the first line; columns after the third are dropped.

    Parameters
    ----------
    source : str, PathLike or bytes
        The file, or its content (read as Latin-1).
    name : str, default "ratings"
        Names the data in messages when ``source`` is bytes (else the file's name does).

    Returns
    -------
    pd.DataFrame
        Columns ``user``, ``item`` (as in the file) and ``rating`` (float32).

    Raises
    ------
    ValueError
        If the file is over the ``table_bytes`` limit, not in one of the three formats, has fewer than
        three columns, a rating that is not a finite number, a row without user or item, or no rows.
    """
    name = name if isinstance(source, bytes) else Path(source).name
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    limits.check("table_bytes", size, f"{name} is {{amount}}")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = data.decode("latin-1")
    first = text.split("\n", 1)[0]
    try:
        if "::" in first:
            frame = pd.read_csv(io.StringIO(text.replace("::", "\t")), sep="\t", header=None)
        elif "\t" in first:
            frame = pd.read_csv(io.StringIO(text), sep="\t", header=None)
        elif "," in first:
            frame = pd.read_csv(io.StringIO(text), header=0 if not first.split(",")[0].strip().isdigit() else None)
        else:
            raise ValueError("use u.data (tab), ratings.csv (comma) or ratings.dat ('::')")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{name}: not a ratings file ({(str(exc).splitlines() or [type(exc).__name__])[0]})") from None
    if frame.shape[1] < 3:
        raise ValueError(f"{name}: a ratings file needs user, item and rating columns; found {frame.shape[1]}")
    frame = frame.iloc[:, :3]
    frame.columns = ["user", "item", "rating"]
    rating = pd.to_numeric(frame["rating"], errors="coerce")
    bad = ~np.isfinite(rating.to_numpy(np.float64))
    if bad.any():
        line = int(np.flatnonzero(bad)[0])
        value = frame["rating"].iloc[line]
        shown = repr(value) if isinstance(value, str) else str(float(value))
        raise ValueError(f"{name}: rating {shown} in row {line + 1} is not a number (or not finite)")
    if frame[["user", "item"]].isna().any().any():
        line = int(np.flatnonzero(frame[["user", "item"]].isna().any(axis=1).to_numpy())[0])
        raise ValueError(f"{name}: row {line + 1} has no user or no item")
    if len(frame) == 0:
        raise ValueError(f"{name}: holds no ratings (one line per rating: user, item, rating)")
    return frame.assign(rating=rating.astype(np.float32))


def index_ratings(frame: pd.DataFrame, like: Ratings | None = None) -> Ratings:
    """Map ids to 0-based indices (``like``'s indices, for a test file; unknown ids dropped).

    Parameters
    ----------
    frame : pd.DataFrame
        Columns ``user``, ``item``, ``rating``, as ``read_ratings`` returns.
    like : Ratings, optional
        The training ratings whose indices to use.

    Returns
    -------
    Ratings
        Ids sorted, indices in that order.

    Raises
    ------
    ValueError
        Without ``like``: if there are no ratings, or the ``ratings`` or ``rating_cells`` limit is exceeded.
    """
    if like is None:
        if len(frame) == 0:
            raise ValueError("there are no ratings to train on")
        limits.check("ratings", len(frame), "the file holds {amount}", unit="ratings")
        user_ids, users = np.unique(frame["user"].to_numpy(), return_inverse=True)
        item_ids, items = np.unique(frame["item"].to_numpy(), return_inverse=True)
        # Kept sparse, but every epoch still reconstructs every cell of items x users: its time.
        limits.check(
            "rating_cells",
            len(user_ids) * len(item_ids),
            f"{len(user_ids):,} users and {len(item_ids):,} items make a matrix of {{amount}}",
            unit="cells",
        )
        return Ratings(users, items, frame["rating"].to_numpy(np.float32), user_ids, item_ids)
    user_pos = {u: i for i, u in enumerate(like.user_ids)}
    item_pos = {m: i for i, m in enumerate(like.item_ids)}
    users = frame["user"].map(user_pos)
    items = frame["item"].map(item_pos)
    known = users.notna() & items.notna()
    return Ratings(
        users[known].to_numpy(int),
        items[known].to_numpy(int),
        frame["rating"][known].to_numpy(np.float32),
        like.user_ids,
        like.item_ids,
    )


def movielens_archive(cache: str | os.PathLike | None = None) -> Path:
    """Where the MovieLens 100k zip is kept: in ``cache``, or in the data folder's cache
    (``ae_core.system.paths.cache_dir``).

    Parameters
    ----------
    cache : str or PathLike, optional

    Returns
    -------
    Path
        The zip's path (it need not exist yet).
    """
    return Path(cache) / MOVIELENS_ZIP if cache is not None else cache_dir(MOVIELENS_ZIP)


def movielens_100k(
    cache: str | os.PathLike | None = None, url: str | None = None, md5: str | None = MOVIELENS_100K[1]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The u1 split of MovieLens 100k (``u1.base``, ``u1.test``), downloaded once into
    ``movielens_archive(cache)`` and checked against its published MD5 (``url``: a mirror;
    ``md5`` None skips the check).

    Parameters
    ----------
    cache : str or PathLike, optional
    url : str, optional
    md5 : str or None

    Returns
    -------
    tuple of pd.DataFrame
        ``(train, test)``, as ``read_ratings`` returns them (80,000 and 20,000 ratings).

    Raises
    ------
    ValueError
        If the download fails its checksum or a file is not a ratings file.
    """
    archive = fetch(url or MOVIELENS_100K[0], movielens_archive(cache), md5)
    with zipfile.ZipFile(archive) as bundle:
        base = bundle.read("ml-100k/u1.base")
        test = bundle.read("ml-100k/u1.test")
    return read_ratings(base, "u1.base"), read_ratings(test, "u1.test")


def synthetic_ratings(n_users=600, n_items=400, rank=4, density=0.12, seed=0) -> pd.DataFrame:
    """Ratings 1-5 from a random low-rank taste model, observed at random: for offline demos and tests.

    Parameters
    ----------
    n_users : int, default 600
    n_items : int, default 400
    rank : int, default 4
        Rank of the taste model.
    density : float, default 0.12
        Probability that a (user, item) pair is rated.
    seed : int, default 0

    Returns
    -------
    pd.DataFrame
        Columns ``user`` and ``item`` (ids from 1) and ``rating`` (float32 whole numbers 1-5).
    """
    rng = np.random.default_rng(seed)
    taste = rng.normal(size=(n_users, rank)) @ rng.normal(size=(rank, n_items)) / np.sqrt(rank)
    bias = rng.normal(0, 0.5, n_items)[None] + rng.normal(0, 0.3, n_users)[:, None]
    scores = np.clip(np.round(3.4 + 0.9 * taste + bias + rng.normal(0, 0.3, taste.shape)), 1, 5)
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    return pd.DataFrame({"user": users + 1, "item": items + 1, "rating": scores[users, items].astype(np.float32)})


def split_ratings(frame: pd.DataFrame, test_fraction: float = 0.2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ratings at random into a training and a test frame.

    Parameters
    ----------
    frame : pd.DataFrame
        One rating per row.
    test_fraction : float, default 0.2
        Share of the rows for the test frame.
    seed : int, default 0
        Seeds the shuffle.

    Returns
    -------
    tuple of pd.DataFrame
        ``(train, test)``, each with a fresh 0..n-1 index.
    """
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = int(len(frame) * (1 - test_fraction))
    return frame.iloc[order[:cut]].reset_index(drop=True), frame.iloc[order[cut:]].reset_index(drop=True)
