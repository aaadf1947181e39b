"""Layer 3, looking at what a model learned: 2D/3D projections of codes (``projection``),
sampling, interpolation and traversal (``sampling``), results shipped with a model (``views``).
Imports system, data and models."""

import os

from ae_core.system.paths import cache_dir

# UMAP compiles numba code and caches it on disk; numba reads where when it is first imported
# (UMAP is imported only by ``projectors``, after this). Kept in the data folder's cache, like
# everything else the app writes, instead of beside the installed package.
os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir("numba")))
