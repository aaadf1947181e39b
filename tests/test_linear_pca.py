"""The course's claim: a linear autoencoder trained with squared error finds PCA's subspace,
with the command line's default settings."""

import json

from ae_core.apps.pca_comparison import PCABaseline, principal_angles
from ae_core.checkpoints import load_checkpoint
from ae_core.cli import main
from ae_core.data import load_dataset
from ae_core.models.metrics import evaluate


def test_default_linear_recipe_matches_pca_on_digits(tmp_path, capsys):
    out = tmp_path / "linear"
    args = ["train", "--dataset", "digits", "--model", "linear", "--latent-dim", "8", "--threads", "1"]
    assert main([*args, "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["out"] == str(out)
    data = load_dataset("digits")
    pca = PCABaseline(8).fit(data.x_train)  # fitted on the same 1,438 training digits
    model = load_checkpoint(out).model
    assert evaluate(model, data.x_test)["sse_per_sample"] <= 1.01 * pca.errors(data.x_test).mean()
    assert principal_angles(model, pca).max() < 5
