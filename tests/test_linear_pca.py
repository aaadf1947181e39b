"""The course's claim: a linear autoencoder trained with squared error finds PCA's subspace."""

import numpy as np
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

from ae_core import build_model
from ae_core.datasets import load_dataset
from ae_core.evaluation import evaluate
from ae_core.training import fit


def test_linear_autoencoder_matches_pca_on_digits():
    data = load_dataset("digits")
    k = 10
    flat_train = data.x_train.reshape(len(data.x_train), -1)
    flat_test = data.x_test.reshape(len(data.x_test), -1)
    pca = PCA(k).fit(flat_train)
    pca_sse = ((pca.inverse_transform(pca.transform(flat_test)) - flat_test) ** 2).sum(axis=1).mean()

    model = build_model("linear", data.shape, k, seed=0)
    fit(model, data.x_train, epochs=100, batch_size=64, lr=1e-2, threads=1)
    ae_sse = evaluate(model, data.x_test)["sse_per_sample"]
    assert ae_sse <= 1.02 * pca_sse, (ae_sse, pca_sse)

    decoder_basis = model.decoder[0].weight.detach().numpy()  # (64, k): spans the reconstructions
    angles = np.degrees(subspace_angles(decoder_basis, pca.components_.T))
    assert angles.max() < 15, angles
