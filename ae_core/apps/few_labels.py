"""Unsupervised pretraining for a classifier with few labels: an autoencoder learns from all the
(unlabelled) data, then its encoder plus a linear layer is fine-tuned on the few labelled ones."""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ae_core.models import build_model
from ae_core.system.parameters import check_parameter
from ae_core.train.loop import fit
from ae_core.train.runtime import set_threads

METHODS = (
    "autoencoder + fine-tuning",
    "same network from scratch",
    "autoencoder codes + logistic regression",
    "PCA + logistic regression",
)


def labelled_subset(y: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Indices of ``fraction`` of the samples, at least one per class (stratified).

    Parameters
    ----------
    y : np.ndarray of shape (N,)
        Labels.
    fraction : float
        In (0, 1]: the share kept of each class (rounded, at least one).
    seed : int, default 0

    Returns
    -------
    np.ndarray
        Sorted indices into ``y``.

    Raises
    ------
    ValueError
        If ``fraction`` is not in (0, 1].
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"label fraction must be in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        chosen.extend(rng.choice(members, max(1, round(fraction * len(members))), replace=False))
    return np.sort(np.asarray(chosen))


class EncoderClassifier(BaseEstimator):
    """An encoder with a linear layer on top, fine-tuned as a whole by cross-entropy.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps a batch of samples to codes of ``code_size`` numbers (pretrained or fresh); ``fit``
        trains a copy of it, ``encoder`` itself is never changed.
    code_size : int
        Numbers per code.
    n_classes : int or None
        Classes to tell apart; None: the largest label of ``fit``'s ``y`` plus one.
    epochs : int
        Passes over the labelled samples.
    seed : int
        Seed of the linear layer and the batch order.

    Attributes
    ----------
    network_ : torch.nn.Sequential
        The trained encoder and linear layer, in eval mode.
    """

    def __init__(
        self, encoder: nn.Module, code_size: int, n_classes: int | None = None, epochs: int = 200, seed: int = 0
    ):
        self.encoder = encoder
        self.code_size = code_size
        self.n_classes = n_classes
        self.epochs = epochs
        self.seed = seed

    def fit(self, x, y) -> EncoderClassifier:
        """Fine-tune on samples ``x`` with integer labels ``y``; returns ``self``.

        AdamW (learning rate 1e-3, weight decay 1e-4) on batches of 64.

        Parameters
        ----------
        x : array-like of shape (N, ...)
            Samples the encoder takes.
        y : array-like of shape (N,)
            Labels 0, 1, ...

        Returns
        -------
        EncoderClassifier
            ``self``, with ``network_``.

        Raises
        ------
        ValueError
            If ``encoder`` is not a module, a parameter is not valid, the label count does not match, or a
            label is not below ``n_classes``.
        """
        if not isinstance(self.encoder, nn.Module):
            raise ValueError(f"encoder must be a torch.nn.Module, got {type(self.encoder).__name__}")
        check_parameter(self.code_size, "code_size", min_val=1)
        check_parameter(self.epochs, "epochs", min_val=1)
        y = np.asarray(y)
        if len(y) == 0 or len(y) != len(x):
            raise ValueError(f"need as many labels as samples (at least one), got {len(y)} labels for {len(x)} samples")
        n_classes = int(y.max()) + 1 if self.n_classes is None else self.n_classes
        if not isinstance(n_classes, numbers.Integral) or n_classes < 1 or y.min() < 0 or y.max() >= n_classes:
            raise ValueError(
                f"n_classes must be an integer >= 1 above every label (0, 1, ...), got n_classes={self.n_classes!r}"
            )
        torch.manual_seed(self.seed)
        network = nn.Sequential(copy.deepcopy(self.encoder), nn.Linear(self.code_size, int(n_classes)))
        optimizer = torch.optim.AdamW(network.parameters(), lr=1e-3, weight_decay=1e-4)
        x, y = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
        generator = torch.Generator().manual_seed(self.seed)
        network.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), 64):
                batch = order[start : start + 64]
                loss = nn.functional.cross_entropy(network(x[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        self.network_ = network.eval()
        return self

    def predict(self, x) -> np.ndarray:
        """The most likely class of each sample.

        Parameters
        ----------
        x : array-like of shape (N, ...)

        Returns
        -------
        np.ndarray of shape (N,)
            Class indices.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "network_")
        with torch.no_grad():
            return self.network_(torch.as_tensor(x, dtype=torch.float32)).argmax(dim=1).numpy()


def label_fraction_curve(
    x_train,
    y_train,
    x_test,
    y_test,
    fractions=(0.01, 0.1, 1.0),
    code_size: int = 32,
    seed: int = 0,
    threads: int | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, list[float]]:
    """Test accuracy of each of ``METHODS`` when only ``fractions`` of the training labels are known.

    A deep autoencoder (hidden 256, 128) is first trained for 60 epochs on all the training data; at each
    fraction the two fine-tuned networks get about 3,000 steps (20-300 epochs) and the two
    logistic regressions are fitted on the labelled subset.

    Parameters
    ----------
    x_train, y_train : np.ndarray
        Training samples (N, ...) and integer labels.
    x_test, y_test : np.ndarray
        Test samples and labels.
    fractions : sequence of float, default (0.01, 0.1, 1.0)
    code_size : int, default 32
        Code size of the autoencoder and number of PCA components.
    seed : int, default 0
    threads : int, optional
        CPU threads (default: every core this process may use).
    on_step : callable, optional
        Called with a line of text as each step starts.

    Returns
    -------
    dict
        ``fractions`` and, for each method of ``METHODS``, its accuracy at each fraction.
    """
    set_threads(threads)
    say = on_step or (lambda text: None)
    say("training the autoencoder on all the (unlabelled) training data")
    autoencoder = build_model("deep", x_train.shape[1:], code_size, seed=seed, hidden_dims=(256, 128))
    fit(autoencoder, x_train, epochs=60, batch_size=64, seed=seed, threads=threads)
    pca = PCA(code_size, random_state=seed).fit(np.reshape(x_train, (len(x_train), -1)))
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    curves: dict[str, list[float]] = {method: [] for method in METHODS}
    for fraction in fractions:
        rows = labelled_subset(y_train, fraction, seed)
        say(f"{len(rows)} labelled samples ({fraction:.0%})")
        epochs = int(np.clip(3000 // max(1, len(rows) // 64 + 1), 20, 300))  # about the same number of steps
        for method in METHODS[:2]:
            encoder = (
                autoencoder.encoder
                if method == METHODS[0]
                else build_model("deep", x_train.shape[1:], code_size, seed=seed + 1, hidden_dims=(256, 128)).encoder
            )
            classifier = EncoderClassifier(encoder, code_size, n_classes, epochs, seed).fit(
                x_train[rows], y_train[rows]
            )
            curves[method].append(float((classifier.predict(x_test) == y_test).mean()))
        for method, features in (
            (METHODS[2], autoencoder.embed),
            (METHODS[3], lambda a: pca.transform(np.reshape(a, (len(a), -1)))),
        ):
            regression = LogisticRegression(max_iter=2000).fit(features(x_train[rows]), y_train[rows])
            curves[method].append(float((regression.predict(features(x_test)) == y_test).mean()))
    return {"fractions": list(fractions), **curves}
