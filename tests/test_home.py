"""One data folder: $LATENT_LAB_HOME moves everything the app writes (issue 17)."""

import numpy as np

from ae_core.apps.recommender import movielens_archive
from ae_core.data.download import download_folder
from ae_core.system import cache as diskcache
from ae_core.system import paths


def test_models_uploads_maps_and_downloads_all_live_under_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_HOME", str(tmp_path / "lab"))
    monkeypatch.delenv("LATENT_LAB_CACHE", raising=False)
    folders = [
        paths.user_models_dir(),
        paths.user_data_dir(),
        paths.cache_dir("maps"),
        download_folder("mnist", {}),
        movielens_archive(),
    ]
    assert all(f.is_relative_to(tmp_path / "lab") for f in folders), folders
    diskcache.save_arrays("k", {"a": np.zeros(2)})
    assert [p.name for p in (tmp_path / "lab").rglob("*.npz")] == ["k.npz"]


def test_umaps_compiled_code_is_cached_in_the_data_folder(tmp_path):
    """numba (UMAP's compiler) writes its cache under the data folder, not beside the package."""
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k not in ("NUMBA_CACHE_DIR", "LATENT_LAB_CACHE")}
    code = "import ae_core.explore.projection, numba.core.config as c; print(c.CACHE_DIR)"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**env, "LATENT_LAB_HOME": str(tmp_path)}, capture_output=True, text=True
    )
    assert out.stdout.strip() == str(tmp_path / "cache" / "numba"), out.stderr[-500:]


def test_one_cache_folder_holds_maps_dataset_downloads_and_movielens(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_HOME", str(tmp_path / "lab"))
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "elsewhere"))
    cache = tmp_path / "elsewhere"
    assert download_folder("fashion-mnist", {}) == cache / "fashion-mnist"
    assert movielens_archive() == cache / "ml-100k.zip"
    diskcache.save_arrays("k", {"a": np.zeros(2)})
    assert (cache / "maps" / "k.npz").is_file() and diskcache.load_arrays("k")["a"].shape == (2,)
    # The dataset spec's own cache option (a teacher's shared folder) still wins for downloads.
    assert download_folder("mnist", {"cache": str(tmp_path / "shared")}) == tmp_path / "shared" / "mnist"
