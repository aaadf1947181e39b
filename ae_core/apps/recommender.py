"""The course's ratings autoencoder (item-based AutoRec) with MovieLens loaders and baselines.

Each item is a vector of its ratings by every user, missing ones NaN; a ``masked`` autoencoder
learns to rebuild the observed ratings, and its reconstruction of the missing ones are the
predictions (Sedhain et al. 2015, "AutoRec: Autoencoders Meet Collaborative Filtering").
The ratings are kept sparse (``SparseRows``): memory grows with the ratings and one batch of
items, never with a dense users x items matrix.
"""

from __future__ import annotations

import io
import numbers
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ae_core.data.download import fetch
from ae_core.data.sparse_rows import SparseRows
from ae_core.models import Autoencoder, build_model
from ae_core.system import limits
from ae_core.system.parameters import check_parameter
from ae_core.system.paths import cache_dir
from ae_core.train.loop import fit

# MovieLens 100k from GroupLens, checksum as published in its README-accompanying md5 file.
MOVIELENS_100K = ("https://files.grouplens.org/datasets/movielens/ml-100k.zip", "0e33842e24a9c977be4e0107933c0723")
MOVIELENS_ZIP = "ml-100k.zip"
PREDICTION_BYTES = 16e6  # predictions are decoded this many bytes of items x users at a time


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
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.ratings)

    def rows(self) -> SparseRows:
        """Items x users, sparse: one row per item, NaN where there is no rating."""
        return SparseRows(self.items, self.users, self.ratings, (self.n_items, self.n_users))


def read_ratings(source: str | os.PathLike | bytes, name: str = "ratings") -> pd.DataFrame:
    """A MovieLens ratings file as a DataFrame (user, item, rating): ``u.data`` (tab-separated,
    no header), ``ratings.csv`` (``userId,movieId,rating,...``) or ``ratings.dat`` (``::``)."""
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
    """Map ids to 0-based indices (``like``'s indices, for a test file; unknown ids dropped)."""
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
    (``ae_core.system.paths.cache_dir``)."""
    return Path(cache) / MOVIELENS_ZIP if cache is not None else cache_dir(MOVIELENS_ZIP)


def movielens_100k(
    cache: str | os.PathLike | None = None, url: str | None = None, md5: str | None = MOVIELENS_100K[1]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The u1 split of MovieLens 100k (``u1.base``, ``u1.test``), downloaded once into
    ``movielens_archive(cache)`` and checked against its published MD5 (``url``: a mirror;
    ``md5`` None skips the check)."""
    archive = fetch(url or MOVIELENS_100K[0], movielens_archive(cache), md5)
    with zipfile.ZipFile(archive) as bundle:
        base = bundle.read("ml-100k/u1.base")
        test = bundle.read("ml-100k/u1.test")
    return read_ratings(base, "u1.base"), read_ratings(test, "u1.test")


def synthetic_ratings(n_users=600, n_items=400, rank=4, density=0.12, seed=0) -> pd.DataFrame:
    """Ratings 1-5 from a random low-rank taste model, observed at random: for offline demos and tests."""
    rng = np.random.default_rng(seed)
    taste = rng.normal(size=(n_users, rank)) @ rng.normal(size=(rank, n_items)) / np.sqrt(rank)
    bias = rng.normal(0, 0.5, n_items)[None] + rng.normal(0, 0.3, n_users)[:, None]
    scores = np.clip(np.round(3.4 + 0.9 * taste + bias + rng.normal(0, 0.3, taste.shape)), 1, 5)
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    return pd.DataFrame({"user": users + 1, "item": items + 1, "rating": scores[users, items].astype(np.float32)})


def split_ratings(frame: pd.DataFrame, test_fraction: float = 0.2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = int(len(frame) * (1 - test_fraction))
    return frame.iloc[order[:cut]].reset_index(drop=True), frame.iloc[order[cut:]].reset_index(drop=True)


class Recommender(BaseEstimator):
    """Item-based AutoRec plus the mean baselines it is compared with.

    ``weight_decay`` (AdamW's, decoupled) is 5: the best epoch is chosen on the training ratings
    themselves, so regularisation is what keeps the model from memorising them. On MovieLens-like
    synthetic ratings (``bench/recommender.py``) it lowers test RMSE from 0.954 (decay 2) to 0.927.

    Parameters
    ----------
    hidden : int
        Size of the autoencoder's code.
    epochs : int
        Training epochs.
    weight_decay : float
        AdamW's decoupled weight decay, >= 0.
    lr : float
        Learning rate, > 0.
    seed : int
        Seed of the weights and the batch order.
    threads : int or None
        CPU threads for training; None: torch's setting as it is.
    on_epoch : callable or None
        Called with each epoch's ``EpochInfo`` (a progress bar).

    Attributes
    ----------
    train_ : Ratings
        The training ratings.
    model_ : Autoencoder
        The trained ``masked`` autoencoder.
    codes_ : ndarray of shape (n_items, hidden)
        Each item's code; decoded, it is the item's rating by every user (clipped to 1-5).
    global_mean_, item_mean_, user_mean_
        The mean baselines.
    """

    def __init__(
        self,
        hidden: int = 500,
        epochs: int = 60,
        weight_decay: float = 5.0,
        lr: float = 1e-3,
        seed: int = 0,
        threads: int | None = None,
        on_epoch: Callable | None = None,
    ):
        self.hidden = hidden
        self.epochs = epochs
        self.weight_decay = weight_decay
        self.lr = lr
        self.seed = seed
        self.threads = threads
        self.on_epoch = on_epoch

    def _validate(self, train) -> None:
        check_parameter(self.hidden, "hidden", min_val=1)
        check_parameter(self.epochs, "epochs", min_val=1)
        check_parameter(self.weight_decay, "weight_decay", numbers.Real, min_val=0)
        check_parameter(self.lr, "lr", numbers.Real, min_val=0, include_boundaries="neither")
        check_parameter(self.seed, "seed")
        check_parameter(self.threads, "threads", min_val=1, allow_none=True)
        if self.on_epoch is not None and not callable(self.on_epoch):
            raise ValueError(f"on_epoch must be callable or None, got {self.on_epoch!r}")
        if not isinstance(train, Ratings) or len(train) == 0:
            raise ValueError(f"a recommender is fitted on non-empty Ratings (see index_ratings), got {train!r}")

    def fit(self, train: Ratings, y=None) -> Recommender:
        """Train AutoRec and the baselines on ``train``; returns ``self``."""
        self._validate(train)
        # An input and an output weight per user: the model's size is checked before it exists.
        limits.check(
            "parameters",
            (2 * train.n_users + 1) * self.hidden + train.n_users,
            f"a code of {self.hidden} for {train.n_users:,} users makes a model of {{amount}}",
            unit="parameters",
        )
        self.train_ = train
        rows = train.rows()
        self.global_mean_ = float(train.ratings.mean())
        self.item_mean_ = _means(train.items, train.ratings, train.n_items, self.global_mean_)
        self.user_mean_ = _means(train.users, train.ratings, train.n_users, self.global_mean_)
        self.model_: Autoencoder = build_model("masked", (train.n_users,), self.hidden, seed=self.seed)
        fit(
            self.model_,
            rows,
            x_val=rows,
            epochs=self.epochs,
            batch_size=32,
            lr=self.lr,
            weight_decay=self.weight_decay,
            seed=self.seed,
            threads=self.threads,
            on_epoch=self.on_epoch,
        )
        step = self._block(train)
        self.codes_ = np.concatenate([self.model_.embed(rows[i : i + step]) for i in range(0, len(rows), step)])
        return self

    @staticmethod
    def _block(train: Ratings) -> int:
        """Items whose dense rows fit in ``PREDICTION_BYTES``."""
        return max(1, int(PREDICTION_BYTES // (4 * train.n_users)))

    def _predicted(self, items: np.ndarray, users: np.ndarray) -> np.ndarray:
        """AutoRec's rating of each (item, user) pair: each item's row decoded once, a block of
        rows (``PREDICTION_BYTES``) at a time."""
        items, users = np.asarray(items, np.int64), np.asarray(users, np.int64)
        unique, where = np.unique(items, return_inverse=True)
        out = np.empty(len(items), np.float32)
        step = self._block(self.train_)
        for start in range(0, len(unique), step):
            block = self.model_.decode_numpy(self.codes_[unique[start : start + step]])
            np.clip(block, 1, 5, out=block)
            here = (where >= start) & (where < start + step)
            out[here] = block[where[here] - start, users[here]]
        return out

    def predict(self, users: np.ndarray, items: np.ndarray, method: str = "autorec") -> np.ndarray:
        """Predicted ratings for (user, item) index pairs by "autorec" or a baseline
        ("global", "user", "item" mean)."""
        check_is_fitted(self, "codes_")
        if method == "autorec":
            return self._predicted(items, users)
        if method == "global":
            return np.full(len(users), self.global_mean_, np.float32)
        if method == "user":
            return self.user_mean_[users]
        if method == "item":
            return self.item_mean_[items]
        raise ValueError(f"method must be autorec, global, user or item, got {method!r}")

    def rmse(self, test: Ratings) -> dict[str, float]:
        """Test RMSE of AutoRec and of each baseline."""
        return {
            method: float(np.sqrt(np.mean((self.predict(test.users, test.items, method) - test.ratings) ** 2)))
            for method in ("autorec", "global", "user", "item")
        }

    def known(self, user: int) -> pd.DataFrame:
        """The training ratings of user index ``user`` with what the model predicts for them."""
        check_is_fitted(self, "codes_")
        rows = self.train_.users == user
        items = self.train_.items[rows]
        table = pd.DataFrame(
            {
                "item": self.train_.item_ids[items],
                "rating": self.train_.ratings[rows],
                "predicted": self._predicted(items, np.full(len(items), user)),
            }
        )
        return table.sort_values("rating", ascending=False, kind="stable").reset_index(drop=True)

    def recommend(self, user: int, n: int = 10) -> pd.DataFrame:
        """The ``n`` unrated items with the highest predicted rating for user index ``user``."""
        check_is_fitted(self, "codes_")
        rated = set(self.train_.items[self.train_.users == user].tolist())
        scores = self._predicted(np.arange(self.train_.n_items), np.full(self.train_.n_items, user))
        order = [i for i in np.argsort(-scores) if i not in rated][:n]
        return pd.DataFrame({"item": self.train_.item_ids[order], "predicted": scores[order]})


def _means(index: np.ndarray, values: np.ndarray, size: int, fallback: float) -> np.ndarray:
    sums = np.bincount(index, values, minlength=size)
    counts = np.bincount(index, minlength=size)
    return np.where(counts > 0, sums / np.maximum(counts, 1), fallback).astype(np.float32)
