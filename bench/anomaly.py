"""Anomaly detection quality with default settings, beside Isolation Forest, and scoring speed.

    PYTHONPATH=. python bench/anomaly.py [--quick]

Offline set-ups only: one-class digits (each digit normal in turn, all others anomalies),
shapes with one kind held out, and tables built from scikit-learn's bundled data in the usual
outlier-benchmark way (breast cancer: benign normal, a 10% sample of malignant anomalies; wine:
class 0 anomalies among the others). Each detector is `anomaly.detector_request` trained on
the training split; AUROC on the test split. Isolation Forest (scikit-learn defaults) sees
the same training split. "combined" adds the code's Mahalanobis distance to the score.
Prints one JSON line per set-up and the scoring time for 10,000
MNIST-sized samples.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from ae_core.anomaly import ReconstructionScorer, anomaly_labels, detector_request
from ae_core.checkpoints import load_checkpoint
from ae_core.datasets import load_dataset
from ae_core.models import build_model
from ae_core.runs import run_training


def tables(folder: Path) -> dict[str, str]:
    rng = np.random.default_rng(0)
    specs = {}
    x, y = load_breast_cancer(return_X_y=True)
    benign, malignant = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    keep = np.concatenate([benign, rng.choice(malignant, len(benign) // 10, replace=False)])
    np.savez(folder / "breast.npz", x=x[keep], y=(y[keep] == 0).astype(int))
    specs["breast-cancer"] = f"npz:{folder / 'breast.npz'}"
    x, y = load_wine(return_X_y=True)
    keep = np.concatenate([np.flatnonzero(y != 0), rng.choice(np.flatnonzero(y == 0), 10, replace=False)])
    np.savez(folder / "wine.npz", x=x[keep], y=(y[keep] == 0).astype(int))
    specs["wine"] = f"npz:{folder / 'wine.npz'}"
    return specs


def run(name: str, spec: str, folder: Path) -> dict:
    request = detector_request(load_dataset(spec))
    data = load_dataset(request.dataset)  # tables come back standardised
    start = time.perf_counter()
    run_training(request, folder / name, threads=2)
    seconds = time.perf_counter() - start
    model = load_checkpoint(folder / name).model
    labels = anomaly_labels(data, "test")
    scores = ReconstructionScorer(model).fit(data.x_train).decision_function(data.x_test)
    combined = ReconstructionScorer(model, score="combined").fit(data.x_train).decision_function(data.x_test)
    forest = IsolationForest(random_state=0).fit(data.x_train.reshape(len(data.x_train), -1))
    forest_scores = -forest.score_samples(data.x_test.reshape(len(data.x_test), -1))
    return {
        "setup": name,
        "autoencoder_auroc": round(roc_auc_score(labels, scores), 4),
        "combined_auroc": round(roc_auc_score(labels, combined), 4),
        "isolation_forest_auroc": round(roc_auc_score(labels, forest_scores), 4),
        "train_seconds": round(seconds, 1),
    }


def scoring_speed() -> dict:
    model = build_model("conv", (1, 28, 28), 16, seed=0, recon_loss="mse").eval()
    x = np.random.default_rng(0).random((10_000, 1, 28, 28), dtype=np.float32)
    scorer = ReconstructionScorer(model)
    scorer.decision_function(x[:256])
    start = time.perf_counter()
    scorer.decision_function(x)
    return {"scoring_10k_mnist_sized_s": round(time.perf_counter() - start, 2)}


def main() -> None:
    import torch

    torch.set_num_threads(2)
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="three digit classes only")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    setups = {f"digits-normal-{d}": f"digits?normal={d}" for d in (range(3) if args.quick else range(10))}
    setups["shapes-without-cross"] = "shapes?n=6000&normal=square,circle,triangle"
    setups.update(tables(folder))
    rows = []
    for name, spec in setups.items():
        rows.append(run(name, spec, folder))
        print(json.dumps(rows[-1]), flush=True)
    digits = [r for r in rows if r["setup"].startswith("digits")]
    print(
        json.dumps(
            {
                "digits_mean_autoencoder_auroc": round(float(np.mean([r["autoencoder_auroc"] for r in digits])), 4),
                "digits_mean_isolation_forest_auroc": round(
                    float(np.mean([r["isolation_forest_auroc"] for r in digits])), 4
                ),
            }
        )
    )
    print(json.dumps(scoring_speed()))


if __name__ == "__main__":
    main()
