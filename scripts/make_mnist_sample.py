"""Write the compact MNIST sample bundled as the app's default dataset.

    python scripts/make_mnist_sample.py PATH/mnist_train.npz

Takes 6,000 of MNIST's 60,000 training digits (600 per class, seeded) and stores them as a
compressed npz in ``ae_core/data/bundled/``; the first 5,000 (500 per class) are the sample's
training split, the last 1,000 its test split.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ae_core.data.builtin import MNIST_SAMPLE_PATH

PER_CLASS_TRAIN, PER_CLASS_TEST = 500, 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("mnist", help="an mnist.npz with x_train (N, 28, 28) uint8 and y_train")
    args = parser.parse_args()
    with np.load(args.mnist, allow_pickle=False) as archive:
        x, y = archive["x_train"], archive["y_train"]
    rng = np.random.default_rng(0)
    train, test = [], []
    for digit in range(10):
        chosen = rng.permutation(np.flatnonzero(y == digit))[: PER_CLASS_TRAIN + PER_CLASS_TEST]
        train.append(chosen[:PER_CLASS_TRAIN])
        test.append(chosen[PER_CLASS_TRAIN:])
    train, test = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
    order = np.concatenate([train, test])
    MNIST_SAMPLE_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        MNIST_SAMPLE_PATH, x=x[order].astype(np.uint8), y=y[order].astype(np.uint8), n_train=np.int64(len(train))
    )
    print(
        f"{MNIST_SAMPLE_PATH}: {len(train)} training + {len(test)} test digits, {MNIST_SAMPLE_PATH.stat().st_size:,} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
