"""Results shipped with a model (ae_core.explore.views) come back only for exactly what was asked."""

import numpy as np

from ae_core.explore.views import load_map, load_view, map_rows, save_map, save_view


def test_a_shipped_map_is_used_only_for_the_codes_it_was_made_from(tmp_path, rng):
    codes = rng.normal(size=(40, 4)).astype(np.float32)
    embedding = rng.normal(size=(40, 2)).astype(np.float32)
    save_map(tmp_path, "umap-2d-test-40", codes, embedding)
    assert np.array_equal(load_map(tmp_path, "umap-2d-test-40", codes), embedding)
    assert load_map(tmp_path, "umap-2d-test-40", codes + 0.1) is None  # a retrained model
    assert load_map(tmp_path, "umap-3d-test-40", codes) is None
    assert load_map(tmp_path / "nowhere", "umap-2d-test-40", codes) is None


def test_a_shipped_result_matches_its_parameters_exactly(tmp_path):
    save_view(tmp_path, "few_labels", {"fractions": [0.1]}, dataset="digits", fractions=[0.1])
    assert load_view(tmp_path, "few_labels", dataset="digits", fractions=[0.1]) == {"fractions": [0.1]}
    assert load_view(tmp_path, "few_labels", dataset="digits", fractions=[0.2]) is None
    assert load_view(tmp_path, "few_labels", dataset="mnist", fractions=[0.1]) is None


def test_map_rows_are_the_same_every_time_and_at_most_the_limit():
    assert np.array_equal(map_rows(50, 100), np.arange(50))
    rows = map_rows(5000, 3000)
    assert len(rows) == 3000 and np.array_equal(rows, map_rows(5000, 3000)) and np.all(np.diff(rows) > 0)
