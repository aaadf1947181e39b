"""Latent explorer speed: encode + PCA for 10,000 and 70,000 samples; UMAP cold and warm.

    python bench/explorer_speed.py [--threads 1]

"cold" runs in a fresh Python process (import, numba compilation, fit); "warm" repeats the fit
in a process that has compiled; "cached" asks for the same map again through the disk cache.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from ae_core.checkpoints import load_checkpoint
from ae_core.checkpoints.library import PRETRAINED_DIR
from ae_core.data import render_shapes
from ae_core.explore.projection import make_projector, project
from ae_core.train.runtime import set_threads

UMAP_CHILD = """
import time, numpy as np
t0 = time.perf_counter()
from ae_core.explore.projection import make_projector
codes = np.load({codes!r})
make_projector("umap").fit(codes)
print(time.perf_counter() - t0)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app's UI uses 1)")
    args = parser.parse_args()
    set_threads(args.threads)
    model = load_checkpoint(PRETRAINED_DIR / "mnist-conv").model
    images, _ = render_shapes(70_000, 28, seed=0)  # stand-in 28x28 images: speed does not depend on content
    codes = None
    for n in (10_000, 70_000):
        start = time.perf_counter()
        codes_n = model.embed(images[:n])
        encoded = time.perf_counter()
        make_projector("pca").fit(codes_n)
        done = time.perf_counter()
        print(
            json.dumps(
                {
                    "what": "encode+pca",
                    "samples": n,
                    "encode_s": round(encoded - start, 2),
                    "pca_s": round(done - encoded, 3),
                    "total_s": round(done - start, 2),
                }
            )
        )
        codes = codes if codes is not None else codes_n
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "codes.npy")
        import numpy as np

        np.save(path, codes)
        child = subprocess.run(
            [sys.executable, "-c", UMAP_CHILD.format(codes=path)], capture_output=True, text=True, check=True
        )
        print(
            json.dumps({"what": "umap 10,000 codes", "cold_fresh_process_s": round(float(child.stdout.split()[-1]), 1)})
        )
        os.environ["LATENT_LAB_CACHE"] = folder
        start = time.perf_counter()
        project("umap", codes, cache_key="bench")
        warm = time.perf_counter() - start
        start = time.perf_counter()
        project("umap", codes, cache_key="bench")
        cached = time.perf_counter() - start
        print(json.dumps({"what": "umap 10,000 codes", "warm_s": round(warm, 1), "cached_s": round(cached, 3)}))


if __name__ == "__main__":
    main()
