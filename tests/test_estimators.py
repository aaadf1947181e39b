"""Everything fitted in ae_core keeps scikit-learn's estimator contract: ``__init__`` only stores
its parameters (so ``get_params`` and ``clone`` work, and a bad value is accepted there), ``fit``
checks them (a ValueError naming the bad one), returns ``self`` and adds only attributes ending
in ``_``, and a method that needs fitted state raises ``NotFittedError`` before ``fit``."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from torch import nn

from ae_core.apps.anomaly_scorer import ReconstructionScorer, ThresholdRule
from ae_core.apps.code_space import CodeBinarizer
from ae_core.apps.few_labels import EncoderClassifier
from ae_core.apps.imputation import AutoencoderImputer
from ae_core.apps.pca_comparison import PCABaseline
from ae_core.apps.recommender import Recommender, index_ratings, synthetic_ratings
from ae_core.data.scaling import Scaler
from ae_core.explore.projectors import PCAProjector, RawProjector, TSNEProjector, UMAPProjector
from ae_core.explore.sampling import CodeDistribution
from ae_core.models import build_model

RNG = np.random.default_rng(0)
CODES = RNG.normal(size=(40, 4)).astype(np.float32)
GAPS = np.where(RNG.random((40, 4)) < 0.2, np.nan, CODES).astype(np.float32)
LABELS = np.arange(40) % 2
RATINGS = index_ratings(synthetic_ratings(n_users=30, n_items=20, density=0.3))


@dataclass
class Case:
    make: Callable[..., BaseEstimator]  # the class, called with params
    params: dict[str, Any]
    fit: Callable[[BaseEstimator], Any]  # fit on small data, returning what fit returns
    use: Callable[[BaseEstimator], Any]  # a method that needs fitted state
    bad: tuple[str, Any, str]  # a parameter, a bad value for it, what the error says


CASES = {
    "table scaler": Case(
        Scaler, {"kind": "standard"}, lambda e: e.fit(CODES), lambda e: e.transform(CODES), ("kind", "log", "'log'")
    ),
    "PCA projector": Case(
        PCAProjector,
        {"n_components": 2, "seed": 0},
        lambda e: e.fit(CODES),
        lambda e: e.transform(CODES),
        ("n_components", 4, "n_components=4"),
    ),
    "raw projector": Case(
        RawProjector,
        {"n_components": 2, "seed": 0},
        lambda e: e.fit(CODES[:, :2]),
        lambda e: e.inverse_transform(CODES[:3, :2]),
        ("seed", 0.5, "seed must be an instance of int, not float"),
    ),
    "UMAP projector": Case(
        UMAPProjector,
        {"n_components": 2, "seed": 0},
        lambda e: e.fit(CODES, embedding=CODES[:, :2]),  # a map computed earlier: no UMAP run
        lambda e: e.inverse_transform(CODES[:3, :2]),
        ("n_components", 1, "n_components=1"),
    ),
    "t-SNE projector": Case(
        TSNEProjector,
        {"n_components": 2, "seed": 0},
        lambda e: e.fit(CODES),
        lambda e: e.inverse_transform(CODES[:3, :2]),
        ("n_components", "2", "n_components='2'"),
    ),
    "code distribution": Case(
        CodeDistribution,
        {"kind": "mixture", "n_components": 2, "seed": 0},
        lambda e: e.fit(CODES),
        lambda e: e.sample(3),
        ("kind", "uniform", "'uniform'"),
    ),
    "threshold rule": Case(
        ThresholdRule,
        {"strategy": "mad", "value": 3.0},
        lambda e: e.fit(CODES[:, 0]),
        lambda e: e.predict(CODES[:, 0]),
        ("value", -1.0, "k >= 0, got -1.0"),
    ),
    "anomaly scorer": Case(
        ReconstructionScorer,
        {"model": build_model("linear", (4,), 2, seed=0), "rule": ThresholdRule("sigma", 2.0), "score": "combined"},
        lambda e: e.fit(CODES),
        lambda e: e.decision_function(CODES),
        ("batch_size", 0, "batch_size == 0, must be >= 1"),
    ),
    "recommender": Case(
        Recommender,
        {"hidden": 4, "epochs": 1, "threads": 1},
        lambda e: e.fit(RATINGS),
        lambda e: e.recommend(0, 3),
        ("lr", -1.0, "lr == -1.0, must be > 0"),
    ),
    "imputer": Case(
        AutoencoderImputer,
        {"latent_dim": 2, "epochs": 1, "threads": 1},
        lambda e: e.fit(GAPS),
        lambda e: e.transform(GAPS),
        ("latent_dim", 0, "latent_dim == 0, must be >= 1"),
    ),
    "PCA baseline": Case(
        PCABaseline,
        {"n_components": 2},
        lambda e: e.fit(CODES),
        lambda e: e.errors(CODES),
        ("n_components", 0, "n_components=0"),
    ),
    "code binarizer": Case(
        CodeBinarizer,
        {"quantile": 0.5},
        lambda e: e.fit(CODES),
        lambda e: e.transform(CODES),
        ("quantile", 1.5, "quantile == 1.5, must be < 1"),
    ),
    "few-labels classifier": Case(
        EncoderClassifier,
        {"encoder": nn.Linear(4, 3), "code_size": 3, "epochs": 1},
        lambda e: e.fit(CODES, LABELS),
        lambda e: e.predict(CODES),
        ("epochs", 0, "epochs == 0, must be >= 1"),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_fitted_things_keep_the_estimator_contract(case):
    estimator = case.make(**case.params)
    params = estimator.get_params(deep=False)
    assert set(case.params) <= set(params)
    assert all(params[name] is value for name, value in case.params.items())  # stored as given
    copy = clone(estimator)  # refuses an __init__ that changes or drops a parameter
    assert type(copy) is type(estimator) and copy.get_params(deep=False).keys() == params.keys()

    with pytest.raises(NotFittedError):
        case.use(estimator)
    assert case.fit(estimator) is estimator
    added = set(vars(estimator)) - set(params)
    assert added and all(name.endswith("_") for name in added), added
    assert all(estimator.get_params(deep=False)[name] is value for name, value in params.items())  # fit changed none
    case.use(estimator)

    name, value, message = case.bad
    broken = case.make(**{**case.params, name: value})  # accepted: __init__ checks nothing
    with pytest.raises(ValueError, match=message):
        case.fit(broken)
