"""The recommender's defaults on MovieLens-like synthetic ratings, beside the mean baselines and
a plain biased matrix factorisation.

    PYTHONPATH=. python bench/recommender.py [--seeds 1] [--epochs N] [--hidden N] [--weight-decay W]
    PYTHONPATH=. python bench/recommender.py --large [--epochs 2]

The MovieLens files are not bundled, so the ratings are generated with MovieLens-100k's
statistics: 943 users x 1,682 items, 100,000 ratings of 1-5 stars (shares close to
6/11/27/34/22%), every user with at least 20 ratings, long-tailed user activity and item
popularity, from a rank-10 taste model with user and item biases and noise. 80% train, 20%
test, at random (as MovieLens' u1 split). Prints test RMSE per method as JSON.

``--large`` measures memory instead, on a MovieLens-1M-sized file (6,040 users x 3,706 items,
1,000,209 ratings, generated the same way and written as ``u.data``): a fresh process reads,
indexes and trains on it (``--epochs``, default 2: the peak does not grow with epochs) and
prints its peak resident memory beside that of the imports alone, the traced Python/numpy peak
(tracemalloc; torch's own allocations are not traced), and the size the dense items x users
matrix would have. A refusal is printed as the message.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from ae_core.apps.recommender import Recommender, index_ratings, read_ratings, split_ratings

USERS, ITEMS, RATINGS = 943, 1682, 100_000
LARGE = (6040, 3706, 1_000_209)  # MovieLens 1M


def movielens_like(seed: int = 0, shape: tuple[int, int, int] = (USERS, ITEMS, RATINGS)) -> pd.DataFrame:
    n_users, n_items, n_ratings = shape
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0, 1.0, n_users)
    counts = 20 + rng.multinomial(n_ratings - 20 * n_users, activity / activity.sum())
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.9  # Zipf-like: a few items get most ratings
    popularity = rng.permutation(popularity)
    users, items = [], []
    for user, count in enumerate(counts):
        count = min(count, n_items // 2)
        users.append(np.full(count, user))
        items.append(rng.choice(n_items, count, replace=False, p=popularity / popularity.sum()))
    users, items = np.concatenate(users), np.concatenate(items)
    rank = 10
    p, q = rng.normal(0, 0.35, (n_users, rank)), rng.normal(0, 0.35, (n_items, rank))
    # Popular items are rated higher on average, as in MovieLens.
    item_bias = (
        rng.normal(0, 0.45, n_items)
        + 0.25 * (np.log(popularity) - np.log(popularity).mean()) / np.log(popularity).std()
    )
    user_bias = rng.normal(0, 0.4, n_users)
    taste = np.einsum("nk,nk->n", p[users], q[items])
    score = 3.3 + user_bias[users] + item_bias[items] + taste + rng.normal(0, 0.85, len(users))
    return pd.DataFrame({"user": users + 1, "item": items + 1, "rating": np.clip(np.round(score), 1, 5)})


def biased_mf(train, test, rank: int = 20, epochs: int = 20, reg: float = 0.05, lr: float = 0.01, seed: int = 0):
    """Funk-style biased matrix factorisation by SGD (Surprise's SVD defaults)."""
    rng = np.random.default_rng(seed)
    mu = float(train.ratings.mean())
    bu, bi = np.zeros(train.n_users), np.zeros(train.n_items)
    p, q = rng.normal(0, 0.1, (train.n_users, rank)), rng.normal(0, 0.1, (train.n_items, rank))
    for _ in range(epochs):
        for k in rng.permutation(len(train)):
            u, i, r = train.users[k], train.items[k], train.ratings[k]
            error = r - (mu + bu[u] + bi[i] + p[u] @ q[i])
            bu[u] += lr * (error - reg * bu[u])
            bi[i] += lr * (error - reg * bi[i])
            p[u], q[i] = p[u] + lr * (error * q[i] - reg * p[u]), q[i] + lr * (error * p[u] - reg * q[i])
    predicted = np.clip(
        mu + bu[test.users] + bi[test.items] + np.einsum("nk,nk->n", p[test.users], q[test.items]), 1, 5
    )
    return float(np.sqrt(np.mean((predicted - test.ratings) ** 2)))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: str, epochs: int) -> None:
    """Read, index and train on the ratings file ``path`` in this (fresh) process; print the peaks."""
    imports = peak_rss_mb()
    tracemalloc.start()
    start = time.perf_counter()
    row: dict = {"file_mb": round(Path(path).stat().st_size / 1e6, 1), "imports_rss_mb": round(imports)}
    try:
        train_frame, test_frame = split_ratings(read_ratings(Path(path)), 0.2, 0)
        train = index_ratings(train_frame)
        test = index_ratings(test_frame, like=train)
        row.update(users=train.n_users, items=train.n_items, train_ratings=len(train))
        row["dense_matrix_mb"] = round(train.n_users * train.n_items * 4 / 1e6)
        model = Recommender(epochs=epochs, threads=1).fit(train)
        row["rmse_autorec"] = round(model.rmse(test)["autorec"], 4)
        model.recommend(0, 10)
    except ValueError as exc:
        row["refused"] = str(exc)
    row["seconds"] = round(time.perf_counter() - start, 1)
    row["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6)
    row["peak_rss_mb"] = round(peak_rss_mb())
    row["peak_rss_over_imports_mb"] = round(peak_rss_mb() - imports)
    print(json.dumps(row), flush=True)


def large(epochs: int) -> None:
    frame = movielens_like(0, LARGE)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "u.data"
        frame.astype({"rating": int}).to_csv(path, sep="\t", header=False, index=False)
        command = [sys.executable, __file__, "--measure", str(path), "--epochs", str(epochs)]
        subprocess.run(command, check=True)


def main() -> None:
    import torch

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--mf", action="store_true", help="also the biased matrix factorisation (slow: pure Python)")
    parser.add_argument("--hidden", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--weight-decay", type=float, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--large", action="store_true", help="peak memory on a MovieLens-1M-sized file instead")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the fresh process of --large
    args = parser.parse_args()
    if args.large or args.measure:
        (measure(args.measure, args.epochs or 2) if args.measure else large(args.epochs or 2))
        return
    overrides = {
        k: v for k, v in vars(args).items() if k in ("hidden", "epochs", "weight_decay", "lr") and v is not None
    }
    for seed in range(args.seeds):
        frame = movielens_like(seed)
        train_frame, test_frame = split_ratings(frame, 0.2, seed)
        train = index_ratings(train_frame)
        test = index_ratings(test_frame, like=train)
        start = time.perf_counter()
        result = Recommender(seed=seed, threads=1, **overrides).fit(train).rmse(test)
        row = {"seed": seed, **overrides, **{k: round(v, 4) for k, v in result.items()}}
        row["autorec_seconds"] = round(time.perf_counter() - start, 1)
        if args.mf:
            row["biased_mf"] = round(biased_mf(train, test), 4)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
