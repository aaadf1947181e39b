"""The anomaly detector's two estimators, with scikit-learn/PyOD conventions: a threshold rule
fitted to scores, and the scorer that scores samples by their reconstruction error.

Both derive from scikit-learn's ``BaseEstimator``: ``__init__`` only stores its parameters,
``fit`` checks them and returns ``self``, fitted state ends in ``_`` (``threshold_``,
``decision_scores_``), and a method that needs fitted state raises ``NotFittedError`` before
``fit``.
"""

from __future__ import annotations

import json

import numpy as np
from scipy.special import log_ndtr
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ae_core.apps.anomaly import DEFAULT_VALUES, SCORES, STRATEGIES, default_score, flag
from ae_core.models import Autoencoder
from ae_core.system.parameters import check_parameter

NEIGHBOURS = 10  # the combined score's kNN part: mean distance to this many fitted codes


class ThresholdRule(BaseEstimator):
    """How the threshold is chosen from scores: a strategy of ``STRATEGIES`` and its parameter.

    Parameters
    ----------
    strategy : str
        One of ``STRATEGIES``: "contamination", "sigma", "mad", "iqr", "otsu" or "manual".
    value : float or None
        The strategy's parameter: the share to flag (in (0, 0.5]) for "contamination", the
        factor k >= 0 for "sigma", "mad" and "iqr", the threshold itself for "manual"; unused
        by "otsu".

    Attributes
    ----------
    threshold_ : float
        The threshold on the scores ``fit`` saw; a score above it is an anomaly.
    """

    def __init__(self, strategy: str = "contamination", value: float | None = 0.05):
        self.strategy = strategy
        self.value = value

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and self.get_params() == other.get_params()

    __hash__ = None  # mutable, as every estimator

    def _validate(self) -> None:
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
        """A checked, unfitted rule from ``"mad"``, ``"mad:3"``, ``"manual:0.02"`` or the JSON the page exports.

        Parameters
        ----------
        text : str
            ``STRATEGY[:VALUE]`` (without a value, the strategy's default from ``DEFAULT_VALUES``), or a JSON
            object with ``strategy`` and ``value``.

        Returns
        -------
        ThresholdRule

        Raises
        ------
        ValueError
            When the text is no rule, or names a bad strategy or value.
        """
        text = text.strip()
        if text.startswith("{"):
            try:
                values = json.loads(text)
                rule = cls(values["strategy"], values.get("value"))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"threshold JSON must hold 'strategy' and 'value': {exc}") from None
        else:
            strategy, _, value = text.partition(":")
            try:
                number = float(value) if value else DEFAULT_VALUES.get(strategy)
            except ValueError:
                raise ValueError(f"threshold {text!r}: {value!r} is not a number") from None
            rule = cls(strategy, number)
        rule._validate()
        return rule

    def to_json(self, score: str = "reconstruction") -> str:
        """The rule (and which score it applies to) as JSON, for ``parse`` and the CLI.

        Parameters
        ----------
        score : str, default "reconstruction"
            The score it thresholds.

        Returns
        -------
        str
            ``{"strategy": ..., "value": ..., "score": ...}``.
        """
        return json.dumps({**self.get_params(), "score": score})

    def fit(self, scores: np.ndarray, y=None) -> ThresholdRule:
        """Set ``threshold_`` from ``scores`` (higher = more anomalous); returns ``self``.

        Parameters
        ----------
        scores : array-like
            Flattened to one dimension.
        y : ignored

        Returns
        -------
        ThresholdRule
            ``self``.

        Raises
        ------
        ValueError
            If the strategy or value is not valid, or ``scores`` is empty.
        """
        self._validate()
        scores = np.asarray(scores, np.float64).ravel()
        if len(scores) == 0:
            raise ValueError("a threshold rule needs at least one score to be fitted on")
        self.threshold_ = self._threshold(scores)
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """1 where a score is above ``threshold_`` (an anomaly), else 0.

        Parameters
        ----------
        scores : array-like

        Returns
        -------
        np.ndarray
            Ints, shaped like ``scores``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "threshold_")
        return flag(scores, self.threshold_).astype(int)

    def _threshold(self, scores: np.ndarray) -> float:
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


class ReconstructionScorer(BaseEstimator):
    """Scores samples by how badly ``model`` reconstructs them.

    Parameters
    ----------
    model : Autoencoder
        A trained autoencoder (only read, never changed).
    rule : ThresholdRule or None
        How ``fit`` sets ``threshold_`` from the scores of the data it sees; None: the default
        rule (flag the top 5%). ``fit`` fits a copy of it, ``rule_``.
    score : str or None
        "reconstruction" or "combined" (see ``SCORES``); None: ``default_score(model)``.
    batch_size : int
        Samples per forward pass.

    Attributes
    ----------
    decision_scores_ : ndarray of shape (n_samples,)
        The scores of the data ``fit`` saw.
    threshold_ : float
        The fitted rule's threshold; ``predict`` flags scores above it.
    rule_ : ThresholdRule
        The fitted copy of ``rule``.
    covariance_, code_scale_, neighbours_, reference_
        For the "combined" score: the fitted codes' covariance (Ledoit-Wolf), their mean and
        standard deviation, a nearest-neighbour index of them (standardised), and the median
        and MAD of each part of the score on the fitted data. ``decision_scores_`` does not
        count a fitted sample as its own neighbour (as PyOD's KNN), so it can differ from
        ``decision_function`` of the same data.
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

    @property
    def score_kind(self) -> str:
        """The score in use: ``score``, or the model's default."""
        return self.score or default_score(self.model)

    def fit(self, x: np.ndarray, y=None) -> ReconstructionScorer:
        """Score ``x`` (normal data, or data with the expected contamination) and set the threshold; returns ``self``.

        Parameters
        ----------
        x : array-like of shape (n_samples, *model.input_shape)
        y : ignored

        Returns
        -------
        ReconstructionScorer
            ``self``, with ``decision_scores_``, ``rule_`` and ``threshold_`` set (and the combined score's state).

        Raises
        ------
        ValueError
            If ``score``, ``rule`` or ``batch_size`` is not valid, ``x`` does not fit the model or is empty, or the
            combined score gets fewer than 2 samples.
        """
        if self.score is not None and self.score not in SCORES:
            raise ValueError(f"score must be one of {', '.join(SCORES)}, got {self.score!r}")
        if self.rule is not None and not isinstance(self.rule, ThresholdRule):
            raise ValueError(f"rule must be a ThresholdRule or None, got {self.rule!r}")
        check_parameter(self.batch_size, "batch_size", min_val=1)
        x = _check(x, self.model)
        if self.score_kind == "combined":
            from sklearn.covariance import LedoitWolf
            from sklearn.neighbors import NearestNeighbors

            if len(x) < 2:
                raise ValueError(f"the combined score needs at least 2 samples to fit, got {len(x)}")
            codes = self.model.embed(x, self.batch_size)
            self.covariance_ = LedoitWolf().fit(codes)
            self.code_scale_ = (codes.mean(axis=0), codes.std(axis=0) + 1e-8)
            neighbours = min(NEIGHBOURS, len(x) - 1)
            self.neighbours_ = NearestNeighbors(n_neighbors=neighbours).fit(self._standardised(codes))
            parts = self._parts(x, fitted=True)
            self.reference_ = {name: _location(part) for name, part in parts.items()}
            self.decision_scores_ = self._fisher(parts)
        else:
            self.decision_scores_ = self._reconstruction(x)
        self.rule_ = ThresholdRule() if self.rule is None else clone(self.rule)
        self.threshold_ = self.rule_.fit(self.decision_scores_).threshold_
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """Anomaly score per sample (higher = more anomalous), shape ``(n_samples,)``.

        For "reconstruction" it is the mean squared error per sample; for "combined", Fisher's combination of
        the robust z-scores of its parts.

        Parameters
        ----------
        x : array-like of shape (n_samples, *model.input_shape)

        Returns
        -------
        np.ndarray of shape (n_samples,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ValueError
            If ``x`` does not fit the model or is empty.
        """
        check_is_fitted(self, "decision_scores_")
        return self._scores(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """1 for an anomaly, 0 for normal (PyOD's convention).

        Parameters
        ----------
        x : array-like of shape (n_samples, *model.input_shape)

        Returns
        -------
        np.ndarray of shape (n_samples,)
            Ints: 1 where the score is above ``threshold_``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "threshold_", msg="call fit before predict: the threshold comes from the fitted scores")
        return self.rule_.predict(self.decision_function(x))

    def error_map(self, x: np.ndarray) -> np.ndarray:
        """Squared error per pixel or per feature, shaped like ``x`` (the model's alone: no fit needed).

        Parameters
        ----------
        x : array-like of shape (n_samples, *model.input_shape)

        Returns
        -------
        np.ndarray
            Float32, shaped like ``x``.

        Raises
        ------
        ValueError
            If ``x`` does not fit the model or is empty.
        """
        x = _check(x, self.model)
        return (self.model.reconstruct(x, self.batch_size) - x) ** 2

    def heatmaps(self, x: np.ndarray) -> np.ndarray:
        """Where each image's error is, scaled to [0, 1] per image (channels averaged), shaped like ``x``.

        Parameters
        ----------
        x : array-like of shape (n_samples, C, H, W)
            Images the model takes.

        Returns
        -------
        np.ndarray
            Shaped like ``x``; every channel holds the same map.
        """
        errors = self.error_map(x).mean(axis=1, keepdims=True)
        peak = errors.reshape(len(x), -1).max(axis=1).reshape(-1, 1, 1, 1)
        return np.repeat(errors / np.maximum(peak, 1e-12), x.shape[1], axis=1)

    def _scores(self, x: np.ndarray) -> np.ndarray:
        if self.score_kind == "reconstruction":
            return self._reconstruction(x)
        return self._fisher(self._parts(x, fitted=False))

    def _fisher(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        # Fisher's method: each part's robust z-score read as a normal deviate, -log of its upper
        # tail summed. A part near or below its typical value adds almost nothing (a code near the
        # centre of clustered data does not hide a large error); a far one dominates.
        return sum(-log_ndtr(-_robust_z(parts[name], self.reference_[name])) for name in parts)

    def _parts(self, x: np.ndarray, fitted: bool) -> dict[str, np.ndarray]:
        """The combined score's parts; ``fitted``: ``x`` is the data ``fit`` saw (no sample is its own neighbour)."""
        x = _check(x, self.model)
        codes = self.model.embed(x, self.batch_size)
        if fitted:
            distances, _ = self.neighbours_.kneighbors()
        else:
            distances, _ = self.neighbours_.kneighbors(self._standardised(codes))
        return {
            "reconstruction": self._reconstruction(x),
            "code": self.covariance_.mahalanobis(codes),
            "neighbours": distances.mean(axis=1),
        }

    def _standardised(self, codes: np.ndarray) -> np.ndarray:
        return (codes - self.code_scale_[0]) / self.code_scale_[1]

    def _reconstruction(self, x: np.ndarray) -> np.ndarray:
        return self.error_map(x).reshape(len(x), -1).mean(axis=1)


def _location(values: np.ndarray) -> tuple[float, float]:
    """Median and MAD (scaled to a normal's standard deviation; 1 where it is 0) of ``values``."""
    median = float(np.median(values))
    return median, float(1.4826 * np.median(np.abs(values - median))) or 1.0


def _robust_z(values: np.ndarray, location: tuple[float, float]) -> np.ndarray:
    return (values - location[0]) / location[1]


def _check(x: np.ndarray, model: Autoencoder) -> np.ndarray:
    x = np.asarray(x, np.float32)
    if x.shape[1:] != tuple(model.input_shape):
        raise ValueError(f"samples of shape {x.shape[1:]} do not fit the model's input {tuple(model.input_shape)}")
    if len(x) == 0:
        raise ValueError("no samples to score")
    return x
