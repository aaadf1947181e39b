"""The recommender's defaults on MovieLens-like synthetic ratings, beside the mean baselines and
a plain biased matrix factorisation.

    PYTHONPATH=. python bench/recommender.py [--seeds 1] [--epochs N] [--hidden N] [--weight-decay W]

The MovieLens files are not bundled, so the ratings are generated with MovieLens-100k's
statistics: 943 users x 1,682 items, 100,000 ratings of 1-5 stars (shares close to
6/11/27/34/22%), every user with at least 20 ratings, long-tailed user activity and item
popularity, from a rank-10 taste model with user and item biases and noise. 80% train, 20%
test, at random (as MovieLens' u1 split). Prints test RMSE per method as JSON.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from ae_core.apps.recommender import Recommender, index_ratings, split_ratings

USERS, ITEMS, RATINGS = 943, 1682, 100_000


def movielens_like(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0, 1.0, USERS)
    counts = 20 + rng.multinomial(RATINGS - 20 * USERS, activity / activity.sum())
    popularity = 1.0 / np.arange(1, ITEMS + 1) ** 0.9  # Zipf-like: a few items get most ratings
    popularity = rng.permutation(popularity)
    users, items = [], []
    for user, count in enumerate(counts):
        count = min(count, ITEMS // 2)
        users.append(np.full(count, user))
        items.append(rng.choice(ITEMS, count, replace=False, p=popularity / popularity.sum()))
    users, items = np.concatenate(users), np.concatenate(items)
    rank = 10
    p, q = rng.normal(0, 0.35, (USERS, rank)), rng.normal(0, 0.35, (ITEMS, rank))
    # Popular items are rated higher on average, as in MovieLens.
    item_bias = (
        rng.normal(0, 0.45, ITEMS) + 0.25 * (np.log(popularity) - np.log(popularity).mean()) / np.log(popularity).std()
    )
    user_bias = rng.normal(0, 0.4, USERS)
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
    args = parser.parse_args()
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
