"""Recommender items have titles a class can read (issue 17)."""

import pandas as pd

from ae_core.apps.recommender import synthetic_ratings
from ae_core.data.item_titles import synthetic_titles, with_titles


def test_every_synthetic_item_has_its_own_genre_title():
    items = set(synthetic_ratings()["item"].tolist())
    titles = synthetic_titles()
    assert items <= set(titles) and len(set(titles.values())) == len(titles)
    assert all(t.endswith(("(comedy)", "(drama)", "(sci-fi)", "(thriller)")) for t in titles.values())


def test_titles_are_put_beside_the_item_ids():
    frame = with_titles(pd.DataFrame({"item": [1, 999], "predicted": [4.0, 3.5]}), {1: "Lucky Neighbours (comedy)"})
    assert list(frame.columns) == ["item", "title", "predicted"]
    assert frame["title"].tolist() == ["Lucky Neighbours (comedy)", "999"]
