"""Names for the recommender's items, so a class reads "Orbit of Glass (sci-fi)" rather than 217:
the real titles of MovieLens 100k (its ``u.item``), and generated, genre-based titles for the
synthetic ratings (the genre is the taste factor that drives the item's ratings most)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

GENRES = {
    "comedy": (
        ("Lucky", "Crazy", "Big", "Happy", "Silly", "Wild", "Little", "Merry", "Sunny", "Odd"),
        ("Neighbours", "Wedding", "Holiday", "Weekend", "Roommates", "Party", "Cousins", "Picnic", "Road Trip", "Job"),
    ),
    "drama": (
        ("Quiet", "Broken", "Distant", "Last", "Silent", "Winter", "Open", "Long", "Hidden", "Gentle"),
        ("Letters", "River", "House", "Promise", "Harbour", "Garden", "Station", "Summer", "Bridge", "Years"),
    ),
    "sci-fi": (
        (
            "Orbit of",
            "Signal from",
            "Beyond",
            "Children of",
            "Machines of",
            "Echoes of",
            "Gates of",
            "Storm over",
            "Dust of",
            "Code of",
        ),
        ("Glass", "Titan", "the Void", "Andromeda", "Mars", "Tomorrow", "Europa", "the Grid", "Starlight", "Neon"),
    ),
    "thriller": (
        ("Dark", "Cold", "Final", "Deadly", "Night", "Red", "Double", "Empty", "Black", "Secret"),
        ("Witness", "Alibi", "Contract", "Tunnel", "Signal", "Corridor", "Ransom", "Fog", "Verdict", "Crossing"),
    ),
}


def synthetic_titles(n_users: int = 600, n_items: int = 400, rank: int = 4, seed: int = 0) -> dict[int, str]:
    """Titles for the items of ``recommender.synthetic_ratings`` with the same arguments: the
    random taste model is drawn again from the same seed, and each item is named in the genre of
    its strongest factor (``rank`` factors share the four genres).

    Parameters
    ----------
    n_users : int, default 600
    n_items : int, default 400
    rank : int, default 4
    seed : int, default 0

    Returns
    -------
    dict of int to str
        Item id (from 1) to a title such as "Crazy Wedding (comedy)".
    """
    rng = np.random.default_rng(seed)
    rng.normal(size=(n_users, rank))  # the users' tastes, drawn first there
    loadings = rng.normal(size=(rank, n_items))
    genres = list(GENRES)
    titles, used = {}, {}
    for item in range(n_items):
        genre = genres[int(np.argmax(np.abs(loadings[:, item]))) % len(genres)]
        first, second = GENRES[genre]
        count = used.get(genre, 0)
        used[genre] = count + 1
        words = f"{first[count % len(first)]} {second[(count // len(first) + count) % len(second)]}"
        sequel = count // (len(first) * len(second))
        titles[item + 1] = f"{words}{' ' + 'I' * (sequel + 1) if sequel else ''} ({genre})"
    return titles


def movielens_titles(archive: str | Path) -> dict[int, str]:
    """Item id -> title from the ``u.item`` file of the MovieLens 100k zip (Latin-1, '|'-separated).

    Parameters
    ----------
    archive : str or Path
        The ``ml-100k.zip`` file.

    Returns
    -------
    dict of int to str
    """
    with zipfile.ZipFile(archive) as bundle:
        text = bundle.read("ml-100k/u.item").decode("latin-1")
    frame = pd.read_csv(io.StringIO(text), sep="|", header=None, usecols=[0, 1], names=["item", "title"])
    return dict(zip(frame["item"].astype(int), frame["title"].astype(str)))


def with_titles(frame: pd.DataFrame, titles: dict[int, str] | None, column: str = "title") -> pd.DataFrame:
    """``frame`` with a title column after its ``item`` column (the id itself where none is known).

    Parameters
    ----------
    frame : pd.DataFrame
        With an ``item`` column of ids.
    titles : dict of int to str or None
        None or empty returns ``frame`` itself.
    column : str, default "title"

    Returns
    -------
    pd.DataFrame
        A copy when a column is added.
    """
    if not titles:
        return frame
    frame = frame.copy()
    frame.insert(frame.columns.get_loc("item") + 1, column, [titles.get(int(i), str(i)) for i in frame["item"]])
    return frame
