"""Anomaly detection with default settings beside PyOD's AutoEncoder and Isolation Forest.

    PYTHONPATH=. python bench/anomaly.py [--seeds 3] [--tables wine,clusters] [--images] [--quick]

Needs PyOD (``pip install pyod``), a benchmark-only dependency: it is not in requirements.txt.

Tables, built offline in the usual outlier-benchmark way and saved as ``.npz`` so they load
through ``npz:PATH`` with the library's default scaling (as a user's file would):

- breast cancer (scikit-learn): benign rows normal, malignant rows sampled to 5% and 10%;
- wine (scikit-learn): classes 1 and 2 normal, 10 rows of class 0 as anomalies (ODDS' wine);
- optdigits-like (scikit-learn's digits as 64-column rows): digits 1-9 normal, zeros at 3%
  (ODDS' optdigits);
- synthetic: 2,000 rows of five Gaussian clusters in 12-D with local (a cluster's centre, four
  times its spread) and global (uniform over the box) outliers, half each, at 2%, 5% and 10%.

Unsupervised, as in PyOD's benchmark: each detector fits the contaminated training split (60%)
and scores the test split (40%); AUROC is averaged over ``--seeds`` splits. The autoencoder is
``anomaly.detector_request`` trained as the page trains it and scored by a default
``ReconstructionScorer``; PyOD's ``AutoEncoder`` and scikit-learn's ``IsolationForest`` run
with their own defaults on the same rows. ``--images`` adds the one-class image set-ups
(each digit normal in turn; shapes without crosses) beside Isolation Forest, and the scoring
time for 10,000 MNIST-sized samples.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from ae_core.apps.anomaly import anomaly_labels, detector_request
from ae_core.apps.anomaly_scorer import ReconstructionScorer
from ae_core.data import load_dataset
from ae_core.models import build_model
from ae_core.train.loop import fit
from ae_core.train.request import check_request


def _with_anomalies(x, normal, anomalous, fraction, rng):
    count = max(1, round(len(normal) * fraction / (1 - fraction)))
    keep = np.concatenate([normal, rng.choice(anomalous, count, replace=False)])
    labels = np.r_[np.zeros(len(normal), int), np.ones(count, int)]
    return x[keep], labels


def _clusters(fraction: float, rng, n: int = 2000, d: int = 12):
    n_out = round(n * fraction)
    centres, spreads = rng.uniform(-5, 5, (5, d)), rng.uniform(0.3, 1.0, 5)
    which = rng.integers(0, 5, n - n_out)
    normal = centres[which] + rng.normal(size=(n - n_out, d)) * spreads[which, None]
    near = rng.integers(0, 5, n_out // 2)
    local = centres[near] + rng.normal(size=(len(near), d)) * 4 * spreads[near, None]
    low, high = normal.min(axis=0), normal.max(axis=0)
    far = rng.uniform(low - 0.1 * (high - low), high + 0.1 * (high - low), (n_out - len(near), d))
    return np.concatenate([normal, local, far]), np.r_[np.zeros(n - n_out, int), np.ones(n_out, int)]


def tables(folder: Path) -> dict[str, str]:
    """Name -> npz path of every table (x, y with 1 = anomaly)."""
    rng = np.random.default_rng(0)
    made = {}
    x, y = load_breast_cancer(return_X_y=True)
    for percent in (5, 10):
        made[f"breast-cancer-{percent}%"] = _with_anomalies(
            x, np.flatnonzero(y == 1), np.flatnonzero(y == 0), percent / 100, rng
        )
    x, y = load_wine(return_X_y=True)
    made["wine-7%"] = _with_anomalies(x, np.flatnonzero(y != 0), np.flatnonzero(y == 0), 10 / 140, rng)
    x, y = load_digits(return_X_y=True)
    made["optdigits-3%"] = _with_anomalies(x, np.flatnonzero(y != 0), np.flatnonzero(y == 0), 0.03, rng)
    for percent in (2, 5, 10):
        made[f"clusters-{percent}%"] = _clusters(percent / 100, rng)
    paths = {}
    for name, (x, y) in made.items():
        np.savez(folder / f"{name}.npz", x=x, y=y)
        paths[name] = str(folder / f"{name}.npz")
    return paths


def train_detector(spec: str):
    """What the page's "Train detector" runs (``run_training`` without the checkpoint writes)."""
    request = detector_request(load_dataset(spec))
    data = load_dataset(request.dataset)
    model = check_request(request, data)
    start = time.perf_counter()
    fit(
        model,
        data.x_train,
        request.settings,
        threads=1,
    )
    return model.cpu(), data, time.perf_counter() - start


def run_table(name: str, path: str, seed: int) -> dict:
    from pyod.models.auto_encoder import AutoEncoder

    spec = f"npz:{path}?test=0.4&seed={seed}"
    model, data, seconds = train_detector(spec)
    labels = anomaly_labels(data, "test")
    ours = ReconstructionScorer(model).fit(data.x_train).decision_function(data.x_test)
    contamination = float(np.clip(data.y_train.mean(), 0.01, 0.5))
    pyod = AutoEncoder(contamination=contamination, verbose=0, random_state=seed).fit(data.x_train)
    forest = IsolationForest(random_state=seed).fit(data.x_train)
    return {
        "table": name,
        "seed": seed,
        "rows": len(data.x_train) + len(data.x_test),
        "test_anomalies": int(labels.sum()),
        "autoencoder": roc_auc_score(labels, ours),
        "pyod_autoencoder": roc_auc_score(labels, pyod.decision_function(data.x_test)),
        "isolation_forest": roc_auc_score(labels, -forest.score_samples(data.x_test)),
        "train_seconds": round(seconds, 1),
    }


def run_images(name: str, spec: str) -> dict:
    model, data, _ = train_detector(spec)
    labels = anomaly_labels(data, "test")
    scores = ReconstructionScorer(model).fit(data.x_train).decision_function(data.x_test)
    forest = IsolationForest(random_state=0).fit(data.x_train.reshape(len(data.x_train), -1))
    forest_scores = -forest.score_samples(data.x_test.reshape(len(data.x_test), -1))
    return {
        "setup": name,
        "autoencoder_auroc": round(roc_auc_score(labels, scores), 4),
        "isolation_forest_auroc": round(roc_auc_score(labels, forest_scores), 4),
    }


def scoring_speed() -> dict:
    model = build_model("conv", (1, 28, 28), 16, seed=0, recon_loss="mse").eval()
    x = np.random.default_rng(0).random((10_000, 1, 28, 28), dtype=np.float32)
    scorer = ReconstructionScorer(model).fit(x[:256])
    start = time.perf_counter()
    scorer.decision_function(x)
    return {"scoring_10k_mnist_sized_s": round(time.perf_counter() - start, 2)}


def main() -> None:
    import torch

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3, help="train/test splits per table")
    parser.add_argument("--tables", default="", help="comma-separated parts of table names to run (default: all)")
    parser.add_argument("--images", action="store_true", help="also the one-class image set-ups")
    parser.add_argument("--quick", action="store_true", help="with --images: three digit classes only")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    methods = ("autoencoder", "pyod_autoencoder", "isolation_forest")
    means = {}
    wanted = [part for part in args.tables.split(",") if part]
    for name, path in tables(folder).items():
        if wanted and not any(part in name for part in wanted):
            continue
        rows = [run_table(name, path, seed) for seed in range(args.seeds)]
        means[name] = {m: round(float(np.mean([r[m] for r in rows])), 4) for m in methods}
        seconds = round(float(np.mean([r["train_seconds"] for r in rows])), 1)
        print(json.dumps({"table": name, "rows": rows[0]["rows"], **means[name], "train_seconds": seconds}), flush=True)
    summary = {f"mean_{m}": round(float(np.mean([v[m] for v in means.values()])), 4) for m in methods}
    summary["autoencoder_above_pyod_on"] = (
        f"{sum(v['autoencoder'] > v['pyod_autoencoder'] for v in means.values())}/{len(means)}"
    )
    print(json.dumps(summary))
    if args.images:
        setups = {f"digits-normal-{d}": f"digits?normal={d}" for d in (range(3) if args.quick else range(10))}
        setups["shapes-without-cross"] = "shapes?n=6000&normal=square,circle,triangle"
        for name, spec in setups.items():
            print(json.dumps(run_images(name, spec)), flush=True)
        print(json.dumps(scoring_speed()))


if __name__ == "__main__":
    main()
