"""AE vs PCA: the baseline, the principal angles and the code-size sweep."""

import numpy as np
import pytest

from ae_core.apps.pca_comparison import PCABaseline, error_against_code_size, principal_angles, train_linear_autoencoder
from ae_core.data import load_dataset
from ae_core.models import build_model
from ae_core.models.metrics import evaluate


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_pca_baseline_reconstructs_exactly_with_all_components(digits):
    full = PCABaseline(64).fit(digits.x_train)
    assert full.errors(digits.x_test).max() < 1e-8
    two = PCABaseline(2).fit(digits.x_train)
    assert two.reconstruct(digits.x_test).shape == digits.x_test.shape
    assert two.errors(digits.x_test).mean() > 10 * full.errors(digits.x_test).mean()
    with pytest.raises(ValueError, match="PCA code size must be in 1..64"):
        PCABaseline(65).fit(digits.x_train)


def test_trained_linear_autoencoder_spans_pcas_subspace(digits):
    pca = PCABaseline(10).fit(digits.x_train)
    model = train_linear_autoencoder(digits.x_train, 10, threads=1)
    assert principal_angles(model, pca).max() < 5
    assert evaluate(model, digits.x_test)["sse_per_sample"] <= 1.01 * pca.errors(digits.x_test).mean()
    untrained = build_model("linear", digits.shape, 10, seed=0)
    assert principal_angles(untrained, pca).max() > 45
    with pytest.raises(ValueError, match="need a 'linear' model"):
        principal_angles(build_model("deep", digits.shape, 10), pca)


def test_error_falls_as_the_code_grows(digits):
    calls = []
    sweep = error_against_code_size(
        digits.x_train, digits.x_test, [2, 16], threads=1, on_size=lambda i, n: calls.append((i, n))
    )
    assert calls == [(1, 2), (2, 2)]
    assert sweep["pca"][1] < sweep["pca"][0] and sweep["autoencoder"][1] < sweep["autoencoder"][0]
    # At a small code the non-linear autoencoder beats the best linear code.
    assert sweep["autoencoder"][0] < sweep["pca"][0]
    assert np.isfinite(sweep["autoencoder"]).all()
