import numpy as np
import pytest

from ae_core.explore.projection import METHODS, make_projector, project


@pytest.fixture
def codes(rng):
    centres = rng.normal(0, 5, (3, 6))
    return (centres[rng.integers(0, 3, 300)] + rng.normal(0, 0.3, (300, 6))).astype(np.float32)


def test_pca_map_inverts_exactly_within_its_plane(codes):
    p = make_projector("pca").fit(codes)
    assert p.embedding_.shape == (300, 2) and p.exact_inverse and p.can_transform
    back = p.inverse_transform(p.embedding_)
    np.testing.assert_allclose(p.transform(back), p.embedding_, atol=1e-4)


def test_raw_codes_only_when_they_have_two_or_three_numbers(codes):
    with pytest.raises(ValueError, match="raw code has 6 dimensions"):
        make_projector("raw").fit(codes)
    p = make_projector("raw", 3).fit(codes[:, :3])
    np.testing.assert_array_equal(p.inverse_transform(p.embedding_), codes[:, :3])


def test_tsne_cannot_place_new_points_and_says_so(codes):
    p = make_projector("tsne").fit(codes[:120])
    assert not p.can_transform and "approximate" in p.note
    with pytest.raises(ValueError, match="t-SNE cannot place new points"):
        p.transform(codes[:1])
    decoded = p.inverse_transform(p.embedding_[:1])
    assert np.linalg.norm(decoded - codes[0]) < 2.0  # near the code of the point drawn there


@pytest.mark.slow
def test_umap_keeps_clusters_apart_and_places_new_points(codes):
    p = make_projector("umap").fit(codes)
    assert p.embedding_.shape == (300, 2)
    placed = p.transform(codes[:5] + 0.01)
    assert np.linalg.norm(placed - p.embedding_[:5], axis=1).max() < 1.0
    assert np.linalg.norm(p.inverse_transform(p.embedding_[:1]) - codes[0]) < 2.0


def test_projection_settings_are_checked(codes):
    with pytest.raises(ValueError, match="projection method must be one of"):
        make_projector("isomap")
    with pytest.raises(ValueError, match="a map has 2 or 3 dimensions"):
        make_projector("pca", 4).fit(codes)
    with pytest.raises(ValueError, match="need at least 3 codes"):
        make_projector("pca").fit(codes[:2])
    assert set(METHODS) == {"pca", "umap", "tsne", "raw"}


def test_maps_are_cached_on_disk_across_processes(codes, monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path))
    first = project("tsne", codes[:100], cache_key="model-a")
    assert list((tmp_path / "maps").glob("*.npz"))

    def refuse(*args, **kwargs):
        raise AssertionError("the cached map should have been used")

    monkeypatch.setattr("sklearn.manifold.TSNE.fit_transform", refuse)
    again = project("tsne", codes[:100], cache_key="model-a")
    np.testing.assert_array_equal(again.embedding_, first.embedding_)
    with pytest.raises(AssertionError):
        project("tsne", codes[:100], cache_key="model-b")  # another model: computed anew
