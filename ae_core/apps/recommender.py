"""The course's ratings autoencoder (item-based AutoRec) with MovieLens loaders and baselines.

Each item is a vector of its ratings by every user, missing ones NaN; a ``masked`` autoencoder
learns to rebuild the observed ratings, and its reconstruction of the missing ones are the
predictions (Sedhain et al. 2015, "AutoRec: Autoencoders Meet Collaborative Filtering").
The ratings are kept sparse (``ae_core.apps.ratings``): memory grows with the ratings and one
block of items, never with a dense users x items matrix.
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ae_core.apps.ratings import (
    MOVIELENS_100K,
    MOVIELENS_ZIP,
    Ratings,
    index_ratings,
    movielens_100k,
    movielens_archive,
    read_ratings,
    split_ratings,
    synthetic_ratings,
)
from ae_core.models import Autoencoder, build_model
from ae_core.system import limits
from ae_core.system.parameters import check_parameter
from ae_core.train.loop import fit

__all__ = [  # the loaders live in ae_core.apps.ratings; imported from here too
    "MOVIELENS_100K",
    "MOVIELENS_ZIP",
    "PREDICTION_BYTES",
    "Ratings",
    "Recommender",
    "index_ratings",
    "movielens_100k",
    "movielens_archive",
    "read_ratings",
    "split_ratings",
    "synthetic_ratings",
]

PREDICTION_BYTES = 16e6  # predictions are decoded this many bytes of items x users at a time


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
    on_batch : callable or None
        Called with each batch's ``BatchInfo``.
    stop_event : threading.Event or None
        When set, training stops after the current batch (keeping the best epoch so far).

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
        on_batch: Callable | None = None,
        stop_event: threading.Event | None = None,
    ):
        self.hidden = hidden
        self.epochs = epochs
        self.weight_decay = weight_decay
        self.lr = lr
        self.seed = seed
        self.threads = threads
        self.on_epoch = on_epoch
        self.on_batch = on_batch
        self.stop_event = stop_event

    def _validate(self, train) -> None:
        self._validate_parameters()
        if not isinstance(train, Ratings) or len(train) == 0:
            raise ValueError(f"a recommender is fitted on non-empty Ratings (see index_ratings), got {train!r}")

    def _validate_parameters(self) -> None:
        check_parameter(self.hidden, "hidden", min_val=1)
        check_parameter(self.epochs, "epochs", min_val=1)
        check_parameter(self.weight_decay, "weight_decay", numbers.Real, min_val=0)
        check_parameter(self.lr, "lr", numbers.Real, min_val=0, include_boundaries="neither")
        check_parameter(self.seed, "seed")
        check_parameter(self.threads, "threads", min_val=1, allow_none=True)
        for name in ("on_epoch", "on_batch"):
            if getattr(self, name) is not None and not callable(getattr(self, name)):
                raise ValueError(f"{name} must be callable or None, got {getattr(self, name)!r}")
        if self.stop_event is not None and not callable(getattr(self.stop_event, "is_set", None)):
            raise ValueError(f"stop_event must be a threading.Event or None, got {self.stop_event!r}")

    def fit(self, train: Ratings, y=None) -> Recommender:
        """Train AutoRec and the baselines on ``train``; returns ``self``.

        AutoRec is a ``masked`` autoencoder over each item's ratings by every user (batch size 32); the
        best epoch is chosen on the training ratings themselves.

        Parameters
        ----------
        train : Ratings
            Non-empty, as ``index_ratings`` makes them.
        y : ignored

        Returns
        -------
        Recommender
            ``self``, with the attributes above.

        Raises
        ------
        ValueError
            If a parameter is not valid, ``train`` is not non-empty ``Ratings``, or the model would exceed
            the ``parameters`` limit.
        """
        self.check(train)
        rows = train.rows()
        model = build_model("masked", (train.n_users,), self.hidden, seed=self.seed)
        fit(
            model,
            rows,
            x_val=rows,
            epochs=self.epochs,
            batch_size=32,
            lr=self.lr,
            weight_decay=self.weight_decay,
            seed=self.seed,
            threads=self.threads,
            on_epoch=self.on_epoch,
            on_batch=self.on_batch,
            stop_event=self.stop_event,
        )
        return self._fitted(model, train, rows)

    def check(self, train: Ratings | None = None) -> None:
        """Everything ``fit`` checks before it trains: the parameters and, given ``train``, the
        ratings and the model's size.

        Parameters
        ----------
        train : Ratings, optional

        Raises
        ------
        ValueError
            As ``fit`` does.
        """
        if train is None:
            self._validate_parameters()
            return
        self._validate(train)
        # An input and an output weight per user: the model's size is checked before it exists.
        limits.check(
            "parameters",
            (2 * train.n_users + 1) * self.hidden + train.n_users,
            f"a code of {self.hidden} for {train.n_users:,} users makes a model of {{amount}}",
            unit="parameters",
        )

    def use_model(self, model: Autoencoder, train: Ratings) -> Recommender:
        """Take an AutoRec trained on ``train`` (a saved one) as this recommender's; returns ``self``.

        The baselines and the items' codes are computed from ``train``, as ``fit`` does after training.

        Parameters
        ----------
        model : Autoencoder
            A ``masked`` autoencoder over ``train.n_users`` inputs.
        train : Ratings
            The ratings it was trained on.

        Returns
        -------
        Recommender
            ``self``, fitted.

        Raises
        ------
        ValueError
            If the model's input is not one rating per user of ``train``.
        """
        if model.registry_name != "masked" or tuple(model.input_shape) != (train.n_users,):
            raise ValueError(
                f"a recommender of {train.n_users:,} users needs a masked autoencoder of {train.n_users:,} inputs, "
                f"got {model.registry_name!r} of {tuple(model.input_shape)}"
            )
        return self._fitted(model, train, train.rows())

    def _fitted(self, model: Autoencoder, train: Ratings, rows) -> Recommender:
        self.train_ = train
        self.global_mean_ = float(train.ratings.mean())
        self.item_mean_ = _means(train.items, train.ratings, train.n_items, self.global_mean_)
        self.user_mean_ = _means(train.users, train.ratings, train.n_users, self.global_mean_)
        self.model_: Autoencoder = model
        step = self._block(train)
        self.codes_ = np.concatenate([model.embed(rows[i : i + step]) for i in range(0, len(rows), step)])
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
        ("global", "user", "item" mean).

        Parameters
        ----------
        users, items : array-like of int, shape (n,)
            User and item indices (0-based, as in ``Ratings``).
        method : str, default "autorec"

        Returns
        -------
        np.ndarray of shape (n,)
            Float32; AutoRec's are clipped to 1-5.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ValueError
            For an unknown method.
        """
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
        """Test RMSE of AutoRec and of each baseline.

        Parameters
        ----------
        test : Ratings
            Indexed like the training ratings.

        Returns
        -------
        dict of str to float
            ``autorec``, ``global``, ``user`` and ``item``.
        """
        return {
            method: float(np.sqrt(np.mean((self.predict(test.users, test.items, method) - test.ratings) ** 2)))
            for method in ("autorec", "global", "user", "item")
        }

    def known(self, user: int) -> pd.DataFrame:
        """The training ratings of user index ``user`` with what the model predicts for them.

        Parameters
        ----------
        user : int
            A user index.

        Returns
        -------
        pd.DataFrame
            ``item`` (original id), ``rating`` and ``predicted``, highest rating first.
        """
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
        """The ``n`` unrated items with the highest predicted rating for user index ``user``.

        Parameters
        ----------
        user : int
            A user index.
        n : int, default 10

        Returns
        -------
        pd.DataFrame
            ``item`` (original id) and ``predicted``, highest first.
        """
        check_is_fitted(self, "codes_")
        rated = set(self.train_.items[self.train_.users == user].tolist())
        scores = self._predicted(np.arange(self.train_.n_items), np.full(self.train_.n_items, user))
        order = [i for i in np.argsort(-scores) if i not in rated][:n]
        return pd.DataFrame({"item": self.train_.item_ids[order], "predicted": scores[order]})


def _means(index: np.ndarray, values: np.ndarray, size: int, fallback: float) -> np.ndarray:
    sums = np.bincount(index, values, minlength=size)
    counts = np.bincount(index, minlength=size)
    return np.where(counts > 0, sums / np.maximum(counts, 1), fallback).astype(np.float32)
