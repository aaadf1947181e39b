"""The limits live in one place, read environment variables, and say what was asked and allowed."""

import pytest

from ae_core.apps.recommender import index_ratings, read_ratings
from ae_core.system import limits


def test_a_bigger_server_raises_a_limit_with_an_environment_variable(monkeypatch):
    ratings = read_ratings(b"1\t1\t3\n2\t2\t4\n3\t3\t5\n", "u.data")  # 3 users x 3 items = 9 cells
    monkeypatch.setenv("LATENT_LAB_LIMIT_RATING_CELLS", "8")
    with pytest.raises(ValueError, match="3 users and 3 items make a matrix of 9 cells; the limit is 8 cells"):
        index_ratings(ratings)
    monkeypatch.setenv("LATENT_LAB_LIMIT_RATING_CELLS", "1e3")
    assert index_ratings(ratings).n_users == 3
    monkeypatch.setenv("LATENT_LAB_LIMIT_RATING_CELLS", "lots")
    with pytest.raises(ValueError, match="LATENT_LAB_LIMIT_RATING_CELLS='lots' is not a number"):
        limits.limit("rating_cells")


def test_amounts_are_written_for_people():
    with pytest.raises(ValueError, match=r"^this archive decodes to 6.3 GB of pixels; the limit is 1 GB \("):
        limits.check("archive_pixel_bytes", 6.3e9, "this archive decodes to {amount} of pixels")
    with pytest.raises(ValueError, match="has 3.21 billion parameters; the limit is 50 million parameters"):
        limits.check("parameters", 3.21e9, "this model has {amount}", unit="parameters")
    limits.check("parameters", 10, "fine {amount}", unit="parameters")
