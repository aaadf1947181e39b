"""Uploaded ratings for the recommender: checked, then kept in the uploading browser's folder under
names made from their content (what a ``RecommenderRequest`` may name), and the one split of
training and test ratings every source goes through."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pandas as pd

from ae_core.apps.ratings import Ratings, index_ratings, read_ratings, split_ratings

TEST_FRACTION, SPLIT_SEED = 0.2, 0  # without a test file, 20% of the ratings are held out, always the same
STORED_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}-[0-9a-f]{10}\.[a-z]{1,8}")  # what store_rating_files names a file


def indexed(train: pd.DataFrame, test: pd.DataFrame | None = None) -> tuple[Ratings, Ratings]:
    """Training and test ratings indexed alike (without ``test``, a fixed 20% of ``train`` is held out).

    Parameters
    ----------
    train : pd.DataFrame
    test : pd.DataFrame, optional
        As ``read_ratings`` returns them.

    Returns
    -------
    tuple of Ratings

    Raises
    ------
    ValueError
        Over a budget (``index_ratings``), or when no test rating is by a known user of a known item.
    """
    if test is None:
        train, test = split_ratings(train, TEST_FRACTION, seed=SPLIT_SEED)
    train_ratings = index_ratings(train)
    test_ratings = index_ratings(test, like=train_ratings)
    if len(test_ratings) == 0:
        raise ValueError("no test rating is by a known user of a known item: upload more ratings")
    return train_ratings, test_ratings


def store_rating_files(folder: str | os.PathLike, train: tuple[bytes, str], test=None) -> tuple[str, str]:
    """Keep uploaded ratings (and a test file) in a browser's ``folder``, under names made from
    their content, once every check passed: a file that cannot be used is not kept.

    Parameters
    ----------
    folder : str or PathLike
        The browser's upload folder (created if needed).
    train : tuple of (bytes, str)
        The training file's content and its name in the browser.
    test : tuple of (bytes, str), optional

    Returns
    -------
    tuple of str
        The stored names of the training file and of the test file ("" without one).

    Raises
    ------
    ValueError
        As ``read_ratings`` and ``indexed`` do.
    """
    files = [train] + ([test] if test is not None else [])
    indexed(*(read_ratings(data, name) for data, name in files))
    names = []
    for data, name in files:
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name).stem).strip("-")[:40] or "ratings"
        suffix = re.sub(r"[^a-z]+", "", Path(name).suffix.lower())[:8] or "data"
        target = Path(folder) / f"{stem}-{hashlib.sha256(data).hexdigest()[:10]}.{suffix}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            partial.write_bytes(data)
            os.replace(partial, target)
        names.append(target.name)
    return names[0], names[1] if test is not None else ""
