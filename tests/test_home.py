"""One data folder: $LATENT_LAB_HOME moves everything the app writes (issue 17)."""

import numpy as np

from ae_core.data.download import cache_root
from ae_core.system import cache as diskcache
from ae_core.system import paths


def test_models_uploads_maps_and_downloads_all_live_under_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_HOME", str(tmp_path / "lab"))
    monkeypatch.delenv("LATENT_LAB_CACHE", raising=False)
    folders = [paths.user_models_dir(), paths.user_data_dir(), diskcache.cache_dir(), cache_root({})]
    assert all(f.is_relative_to(tmp_path / "lab") for f in folders), folders
    diskcache.save_arrays("k", {"a": np.zeros(2)})
    assert [p.name for p in (tmp_path / "lab").rglob("*.npz")] == ["k.npz"]
