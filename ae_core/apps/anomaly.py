"""Anomaly detection by reconstruction error: the scores and threshold rules there are, the
detector's training, and how a detection is judged (metrics, curves, the flagged table).

An autoencoder trained on (mostly) normal data rebuilds normal samples well and odd ones badly;
the reconstruction error is the anomaly score and a threshold on it makes the decision. The
fitted scorer and threshold rule (scikit-learn estimators) are in ``anomaly_scorer``; this module
loads no scikit-learn until a metric is asked for, so its names are cheap to import.
"""

from __future__ import annotations

import numpy as np

from ae_core.data import Dataset
from ae_core.models import Autoencoder
from ae_core.train.request import TrainingRequest
from ae_core.train.settings import TrainingSettings

STRATEGIES = {
    "contamination": "flag the top fraction `value` of the fitted scores (percentile)",
    "sigma": "mean + value * standard deviation of the fitted scores",
    "mad": "median + value * 1.4826 * median absolute deviation (robust to the anomalies themselves)",
    "iqr": "third quartile + value * inter-quartile range (Tukey's fences)",
    "otsu": "Otsu's threshold on the histogram of log scores (no parameter)",
    "manual": "the score `value` itself",
}
DEFAULT_VALUES = {"contamination": 0.05, "sigma": 3.0, "mad": 3.5, "iqr": 1.5, "otsu": None, "manual": None}


SCORES = {
    "reconstruction": "mean squared reconstruction error",
    "combined": "reconstruction error, the code's Mahalanobis distance from the training codes and its "
    "mean distance to the 10 nearest training codes, each as a robust z-score, summed as -log of "
    "their normal tails (Fisher's method): also catches samples that are extreme along directions "
    "the model reconstructs well, or far from every group of training codes",
}


def default_score(model: Autoencoder) -> str:
    """ "combined" for tables, "reconstruction" for images.

    An anomalous row is often extreme along a direction the model reconstructs well (in wine,
    the rare class lies far out along the first principal direction), which only the code's
    distance sees; a row between or beside the groups of clustered data is far from its nearest
    codes. On the tables of ``bench/anomaly.py`` the combined score is the one near Isolation
    Forest and above PyOD's AutoEncoder. Images keep the plain error, whose maps show where a sample is odd.

    Parameters
    ----------
    model : Autoencoder

    Returns
    -------
    str
        A key of ``SCORES``.
    """
    return "combined" if len(model.input_shape) == 1 else "reconstruction"


def detector_request(dataset: Dataset, steps: int | None = None) -> TrainingRequest:
    """Default training for an anomaly detector on ``dataset`` (no per-dataset tuning).

    Images get a convolutional autoencoder, tables a small deep one, both on squared error (the
    score). Tables come standardised (``datasets.TABLE_SCALING``: min-max would clip new values
    into the training range, hiding exactly the extreme values that make a row odd), as in
    ``train`` from the command line. The run lasts about ``steps`` optimizer steps whatever the
    data size (small one-class sets need many epochs), within 5 minutes; the best validation
    epoch is kept. Tables get a small model (one hidden layer twice as wide as the input, a code
    of an eighth of it) and about 1,000 steps, images about 3,000: on the small contaminated
    tables of ``bench/anomaly.py`` a wider code or longer training learns to rebuild the
    anomalies too.

    Parameters
    ----------
    dataset : Dataset
    steps : int, optional
        Optimizer steps to aim for (default 3,000 for images, 1,000 for tables); epochs are kept
        within 10-500 at batch size 64.

    Returns
    -------
    TrainingRequest
        With no latent-map snapshots.
    """
    steps = steps or (3000 if dataset.kind == "image" else 1000)
    batches = max(1, -(-int(len(dataset.x_train) * 0.9) // 64))
    epochs = int(np.clip(steps // batches, 10, 500))
    common = dict(settings=TrainingSettings(epochs=epochs, batch_size=64, max_minutes=5), map_every=0)
    if dataset.kind == "image":
        return TrainingRequest(dataset.spec, "conv", 16, {"recon_loss": "mse"}, **common)
    d = dataset.shape[0]
    options = {"recon_loss": "mse", "output": "linear", "hidden_dims": (2 * max(8, d),)}
    return TrainingRequest(dataset.spec, "deep", max(2, d // 8), options, **common)


def anomaly_labels(dataset: Dataset, split: str = "test") -> np.ndarray | None:
    """1 where a sample is an anomaly, when the dataset says: a one-class set-up (``normal=``:
    other classes are anomalies) or labels that are exactly 0/1 (1 = anomaly). Else None.

    Parameters
    ----------
    dataset : Dataset
    split : str, default "test"
        "train", "test" or "all".

    Returns
    -------
    np.ndarray or None
        Ints 0/1, one per sample of the split.
    """
    _, y = dataset.split(split)
    if y is None:
        return None
    normal = dataset.extra.get("normal_classes")
    if normal is not None:
        return (~np.isin(y, normal)).astype(int)
    if set(np.unique(y).tolist()) <= {0, 1}:
        return np.asarray(y, int)
    return None


def flag(scores: np.ndarray, threshold: float) -> np.ndarray:
    """True where a score is above ``threshold``: the decision ``ReconstructionScorer.predict``
    makes with its fitted ``threshold_``, for a threshold set by another rule or by hand.

    Parameters
    ----------
    scores : array-like
    threshold : float

    Returns
    -------
    np.ndarray
        Booleans, shaped like ``scores``.
    """
    return np.asarray(scores) > threshold


def most_anomalous(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, highest first.

    Parameters
    ----------
    scores : array-like of shape (n,)
    k : int

    Returns
    -------
    np.ndarray
        At most ``k`` indices.
    """
    return np.argsort(-np.asarray(scores))[:k]


def detection_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """AUROC, average precision, and precision/recall/F1 and the confusion matrix at ``threshold``.

    Parameters
    ----------
    labels : array-like of shape (n,)
        1 for an anomaly, 0 for normal.
    scores : array-like of shape (n,)
        Higher = more anomalous.
    threshold : float
        Scores above it are flagged.

    Returns
    -------
    dict
        ``auroc``, ``average_precision`` (NaN unless both classes occur), ``precision``, ``recall``,
        ``f1`` (floats) and ``tp``, ``fp``, ``tn``, ``fn`` (ints).
    """
    from sklearn import metrics as skm  # scikit-learn is imported where it is used: not on a page's first view

    labels = np.asarray(labels, int)
    flagged = flag(scores, threshold).astype(int)
    both = len(np.unique(labels)) == 2
    tn, fp, fn, tp = skm.confusion_matrix(labels, flagged, labels=[0, 1]).ravel()
    return {
        "auroc": float(skm.roc_auc_score(labels, scores)) if both else float("nan"),
        "average_precision": float(skm.average_precision_score(labels, scores)) if both else float("nan"),
        "precision": float(skm.precision_score(labels, flagged, zero_division=0)),
        "recall": float(skm.recall_score(labels, flagged, zero_division=0)),
        "f1": float(skm.f1_score(labels, flagged, zero_division=0)),
        "tp": int(tp),
        "fp": int(fp),
        "tn": int(tn),
        "fn": int(fn),
    }


def curves(labels: np.ndarray, scores: np.ndarray) -> dict[str, np.ndarray]:
    """ROC (fpr, tpr) and precision-recall curves, for plotting.

    Parameters
    ----------
    labels : array-like of shape (n,)
        1 for an anomaly, 0 for normal.
    scores : array-like of shape (n,)

    Returns
    -------
    dict of str to np.ndarray
        ``fpr``, ``tpr``, ``precision``, ``recall``.
    """
    from sklearn import metrics as skm

    fpr, tpr, _ = skm.roc_curve(labels, scores)
    precision, recall, _ = skm.precision_recall_curve(labels, scores)
    return {"fpr": fpr, "tpr": tpr, "precision": precision, "recall": recall}


def top_features(error_rows: np.ndarray, names: list[str] | None, k: int = 3) -> list[str]:
    """For tables: the ``k`` features that contribute most to each row's score, as text.

    Parameters
    ----------
    error_rows : np.ndarray of shape (n, D)
        Squared error per feature.
    names : list of str or None
        Feature names (default "feature 0", ...).
    k : int, default 3

    Returns
    -------
    list of str
        One per row, e.g. ``"alcohol (41%), ash (20%), hue (9%)"``: each feature's share of the row's error.
    """
    names = names or [f"feature {i}" for i in range(error_rows.shape[1])]
    share = error_rows / np.maximum(error_rows.sum(axis=1, keepdims=True), 1e-12)
    order = np.argsort(-error_rows, axis=1)[:, :k]
    return [", ".join(f"{names[j]} ({100 * share[i, j]:.0f}%)" for j in row) for i, row in enumerate(order)]


def flagged_table(dataset: Dataset, split: str, scores: np.ndarray, threshold: float):
    """The flagged samples of a split as a pandas DataFrame: index, score, the label when known,
    and for tables the features in their original units (the dataset's scaler undone).

    Parameters
    ----------
    dataset : Dataset
    split : str
        "train", "test" or "all".
    scores : np.ndarray of shape (n,)
        The split's scores.
    threshold : float
        Scores above it are flagged.

    Returns
    -------
    pd.DataFrame
        Highest score first; an ``anomaly`` column when ``anomaly_labels`` knows.
    """
    import pandas as pd

    from ae_core.data.scaling import Scaler

    x, _ = dataset.split(split)
    rows = np.flatnonzero(flag(scores, threshold))
    rows = rows[np.argsort(-scores[rows])]
    table = pd.DataFrame({"index": rows, "score": scores[rows]})
    labels = anomaly_labels(dataset, split)
    if labels is not None:
        table["anomaly"] = labels[rows]
    if dataset.kind == "tabular":
        values = x[rows]
        if dataset.scaler:
            values = Scaler.from_dict(dataset.scaler).inverse_transform(values)
        names = dataset.feature_names or [f"feature {i}" for i in range(values.shape[1])]
        table = pd.concat([table, pd.DataFrame(values, columns=names)], axis=1)
    return table
