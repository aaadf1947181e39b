"""Anomaly detection by reconstruction error, with scikit-learn/PyOD conventions.

An autoencoder trained on (mostly) normal data rebuilds normal samples well and odd ones badly;
the reconstruction error is the anomaly score and a threshold on it makes the decision.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

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


@dataclass(frozen=True)
class ThresholdRule:
    """How the threshold is chosen: a strategy of ``STRATEGIES`` and its parameter."""

    strategy: str = "contamination"
    value: float | None = 0.05

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise ValueError(f"threshold strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        if self.strategy == "contamination" and not (self.value is not None and 0 < self.value <= 0.5):
            raise ValueError(f"contamination must be in (0, 0.5], got {self.value}")
        if self.strategy in ("sigma", "mad", "iqr") and not (self.value is not None and self.value >= 0):
            raise ValueError(f"{self.strategy} needs a factor k >= 0, got {self.value}")
        if self.strategy == "manual" and (self.value is None or not np.isfinite(self.value)):
            raise ValueError(f"a manual threshold needs a finite score, got {self.value}")

    @classmethod
    def parse(cls, text: str) -> ThresholdRule:
        """``"mad"``, ``"mad:3"``, ``"manual:0.02"`` or the JSON the page exports."""
        text = text.strip()
        if text.startswith("{"):
            try:
                values = json.loads(text)
                return cls(values["strategy"], values.get("value"))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"threshold JSON must hold 'strategy' and 'value': {exc}") from None
        strategy, _, value = text.partition(":")
        try:
            number = float(value) if value else DEFAULT_VALUES.get(strategy)
        except ValueError:
            raise ValueError(f"threshold {text!r}: {value!r} is not a number") from None
        return cls(strategy, number)

    def to_json(self, score: str = "reconstruction") -> str:
        """The rule (and which score it applies to) as JSON, for ``parse`` and the CLI."""
        return json.dumps({**asdict(self), "score": score})

    def threshold(self, scores: np.ndarray) -> float:
        scores = np.asarray(scores, np.float64)
        if self.strategy == "manual":
            return float(self.value)
        if self.strategy == "contamination":
            return float(np.quantile(scores, 1 - self.value))
        if self.strategy == "sigma":
            return float(scores.mean() + self.value * scores.std())
        if self.strategy == "mad":
            median = np.median(scores)
            return float(median + self.value * 1.4826 * np.median(np.abs(scores - median)))
        if self.strategy == "iqr":
            q1, q3 = np.quantile(scores, [0.25, 0.75])
            return float(q3 + self.value * (q3 - q1))
        from skimage.filters import threshold_otsu

        # Errors are skewed (many small, a few large); Otsu separates two modes of their logarithm.
        if scores.min() > 0:
            return float(np.exp(threshold_otsu(np.log(scores))))
        return float(threshold_otsu(scores))


SCORES = {
    "reconstruction": "mean squared reconstruction error",
    "combined": "reconstruction error plus the code's Mahalanobis distance from the training codes "
    "(each as a robust z-score of its logarithm, counted only above its typical value): also catches "
    "samples that are extreme along directions the model reconstructs well",
}


def default_score(model: Autoencoder) -> str:
    """ "combined" for tables, "reconstruction" for images.

    An anomalous row is often extreme along a direction the model reconstructs well (in wine,
    the rare class lies far out along the first principal direction), which only the code's
    distance sees; on the tables of ``bench/anomaly.py`` the combined score is the one above
    PyOD's AutoEncoder. Images keep the plain error, whose maps show where a sample is odd.
    """
    return "combined" if len(model.input_shape) == 1 else "reconstruction"


class ReconstructionScorer:
    """Scores samples by how badly ``model`` reconstructs them.

    Parameters
    ----------
    model : a trained autoencoder
    rule : how ``fit`` sets ``threshold_`` from the scores of the data it sees
    score : "reconstruction" or "combined" (see ``SCORES``); None: ``default_score(model)``
    batch_size : samples per forward pass
    """

    def __init__(
        self,
        model: Autoencoder,
        rule: ThresholdRule | None = None,
        score: str | None = None,
        batch_size: int = 1024,
    ):
        self.model = model
        self.rule = rule
        self.score = score
        self.batch_size = batch_size

    def fit(self, x: np.ndarray, y=None) -> ReconstructionScorer:
        """Score ``x`` (normal data, or data with the expected contamination) and set the threshold."""
        if self.score is not None and self.score not in SCORES:
            raise ValueError(f"score must be one of {', '.join(SCORES)}, got {self.score!r}")
        x = _check(x, self.model)
        if self.score_kind == "combined":
            from sklearn.covariance import LedoitWolf

            self.covariance_ = LedoitWolf().fit(self.model.embed(x, self.batch_size))
            self.reference_ = {
                "reconstruction": _log_location(self._reconstruction(x)),
                "code": _log_location(self.covariance_.mahalanobis(self.model.embed(x, self.batch_size))),
            }
        self.decision_scores_ = self.decision_function(x)
        self.threshold_ = (self.rule or ThresholdRule()).threshold(self.decision_scores_)
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """Anomaly score per sample (higher = more anomalous)."""
        if self.score_kind == "reconstruction":
            return self._reconstruction(x)
        if not hasattr(self, "covariance_"):
            raise ValueError("call fit first: the combined score compares with the fitted codes")
        x = _check(x, self.model)
        code = self.covariance_.mahalanobis(self.model.embed(x, self.batch_size))
        # Only excess counts: a code near the centre of clustered data must not hide a large error.
        reconstruction = _robust_z(self._reconstruction(x), self.reference_["reconstruction"])
        return np.maximum(reconstruction, 0) + np.maximum(_robust_z(code, self.reference_["code"]), 0)

    @property
    def score_kind(self) -> str:
        """The score in use: ``score``, or the model's default."""
        return self.score or default_score(self.model)

    def error_map(self, x: np.ndarray) -> np.ndarray:
        """Squared error per pixel or per feature, shaped like ``x``."""
        x = _check(x, self.model)
        return (self.model.reconstruct(x, self.batch_size) - x) ** 2

    def heatmaps(self, x: np.ndarray) -> np.ndarray:
        """Where each image's error is, scaled to [0, 1] per image (channels averaged), shaped like ``x``."""
        errors = self.error_map(x).mean(axis=1, keepdims=True)
        peak = errors.reshape(len(x), -1).max(axis=1).reshape(-1, 1, 1, 1)
        return np.repeat(errors / np.maximum(peak, 1e-12), x.shape[1], axis=1)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """1 for an anomaly, 0 for normal (PyOD's convention)."""
        if not hasattr(self, "threshold_"):
            raise ValueError("call fit before predict: the threshold comes from the fitted scores")
        return (self.decision_function(x) > self.threshold_).astype(int)

    def _reconstruction(self, x: np.ndarray) -> np.ndarray:
        return self.error_map(x).reshape(len(x), -1).mean(axis=1)


def _log_location(values: np.ndarray) -> tuple[float, float]:
    logs = np.log(np.maximum(values, 1e-12))
    median = float(np.median(logs))
    return median, float(1.4826 * np.median(np.abs(logs - median))) or 1.0


def _robust_z(values: np.ndarray, location: tuple[float, float]) -> np.ndarray:
    return (np.log(np.maximum(values, 1e-12)) - location[0]) / location[1]


def detector_request(dataset: Dataset, steps: int | None = None) -> TrainingRequest:
    """Default training for an anomaly detector on ``dataset`` (no per-dataset tuning).

    Images get a convolutional autoencoder, tables a small deep one, both on squared error (the
    score). Tables come standardised (``datasets.TABLE_SCALING``: min-max would clip new values
    into the training range, hiding exactly the extreme values that make a row odd), as in
    ``train`` from the command line. The run lasts about ``steps`` optimizer steps whatever the
    data size (small one-class sets need many epochs), within 5 minutes; the best validation
    epoch is kept. Tables get a narrow model (one hidden layer as wide as the input, a code of
    an eighth of it) and about 1,000 steps, images about 3,000: on the small contaminated tables
    of ``bench/anomaly.py`` a larger or longer-trained model learns to rebuild the anomalies too.
    """
    steps = steps or (3000 if dataset.kind == "image" else 1000)
    batches = max(1, -(-int(len(dataset.x_train) * 0.9) // 64))
    epochs = int(np.clip(steps // batches, 10, 500))
    common = dict(settings=TrainingSettings(epochs=epochs, batch_size=64, max_minutes=5), map_every=0)
    if dataset.kind == "image":
        return TrainingRequest(dataset.spec, "conv", 16, {"recon_loss": "mse"}, **common)
    d = dataset.shape[0]
    options = {"recon_loss": "mse", "output": "linear", "hidden_dims": (max(8, d),)}
    return TrainingRequest(dataset.spec, "deep", max(2, d // 8), options, **common)


def anomaly_labels(dataset: Dataset, split: str = "test") -> np.ndarray | None:
    """1 where a sample is an anomaly, when the dataset says: a one-class set-up (``normal=``:
    other classes are anomalies) or labels that are exactly 0/1 (1 = anomaly). Else None."""
    _, y = dataset.split(split)
    if y is None:
        return None
    normal = dataset.extra.get("normal_classes")
    if normal is not None:
        return (~np.isin(y, normal)).astype(int)
    if set(np.unique(y).tolist()) <= {0, 1}:
        return np.asarray(y, int)
    return None


def detection_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """AUROC, average precision, and precision/recall/F1 and the confusion matrix at ``threshold``."""
    from sklearn import metrics as skm  # scikit-learn is imported where it is used: not on a page's first view

    labels = np.asarray(labels, int)
    flagged = (np.asarray(scores) > threshold).astype(int)
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
    """ROC (fpr, tpr) and precision-recall curves, for plotting."""
    from sklearn import metrics as skm

    fpr, tpr, _ = skm.roc_curve(labels, scores)
    precision, recall, _ = skm.precision_recall_curve(labels, scores)
    return {"fpr": fpr, "tpr": tpr, "precision": precision, "recall": recall}


def top_features(error_rows: np.ndarray, names: list[str] | None, k: int = 3) -> list[str]:
    """For tables: the ``k`` features that contribute most to each row's score, as text."""
    names = names or [f"feature {i}" for i in range(error_rows.shape[1])]
    share = error_rows / np.maximum(error_rows.sum(axis=1, keepdims=True), 1e-12)
    order = np.argsort(-error_rows, axis=1)[:, :k]
    return [", ".join(f"{names[j]} ({100 * share[i, j]:.0f}%)" for j in row) for i, row in enumerate(order)]


def _check(x: np.ndarray, model: Autoencoder) -> np.ndarray:
    x = np.asarray(x, np.float32)
    if x.shape[1:] != tuple(model.input_shape):
        raise ValueError(f"samples of shape {x.shape[1:]} do not fit the model's input {tuple(model.input_shape)}")
    if len(x) == 0:
        raise ValueError("no samples to score")
    return x


def flagged_table(dataset: Dataset, split: str, scores: np.ndarray, threshold: float):
    """The flagged samples of a split as a pandas DataFrame: index, score, the label when known,
    and for tables the features in their original units (the dataset's scaler undone)."""
    import pandas as pd

    from ae_core.data import Scaler

    x, _ = dataset.split(split)
    rows = np.flatnonzero(scores > threshold)
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
