"""Precompute what a shipped model's pages would otherwise make a class wait for, and store it in
the model's folder (ae_core.explore.views): UMAP/t-SNE maps of the latent map's default views, the Few
labels comparison and the Compare page's error-against-code-size sweep for the model's dataset.

    PYTHONPATH=. python scripts/precompute_views.py pretrained/mnist-sample-conv [more folders]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ae_core.apps.few_labels import label_fraction_curve
from ae_core.apps.pca_comparison import error_against_code_size
from ae_core.checkpoints import load_checkpoint
from ae_core.data import load_dataset
from ae_core.explore.projection import project
from ae_core.explore.views import load_view, map_name, map_rows, save_map, save_view

# The pages' defaults (pages/explore/latent_map.py, pages/use/few_labels.py, pages/explore/compare.py).
MAP_POINTS = 3000
FEW_LABEL_FRACTIONS = [0.01, 0.1, 1.0]
SWEEP_SIZES = [2, 4, 8, 16, 32]


def precompute(folder: Path, maps: bool, few_labels: bool, sweep: bool) -> None:
    checkpoint = load_checkpoint(folder)
    data = load_dataset(checkpoint.dataset, scaler=checkpoint.scaler)
    model = checkpoint.model
    if maps and not model.spatial_code:
        for split in ("test", "train"):
            x = data.split(split)[0]
            limit = min(MAP_POINTS, len(x))
            codes = model.embed(x[map_rows(len(x), limit)])
            for method, dims in (("umap", 2), ("umap", 3), ("tsne", 2)):
                start = time.time()
                embedding = project(method, codes, dims).embedding_
                save_map(folder, map_name(method, dims, split, limit), codes, embedding)
                print(
                    f"{folder.name}: {method} {dims}-D {split} ({limit} points) {time.time() - start:.0f} s", flush=True
                )
    if (
        few_labels
        and data.has_labels
        and load_view(folder, "few_labels", dataset=data.spec, fractions=FEW_LABEL_FRACTIONS) is None
    ):
        start = time.time()
        result = label_fraction_curve(
            data.x_train, data.y_train, data.x_test, data.y_test, FEW_LABEL_FRACTIONS, threads=1
        )
        save_view(folder, "few_labels", result, dataset=data.spec, fractions=FEW_LABEL_FRACTIONS)
        print(f"{folder.name}: few labels {time.time() - start:.0f} s", flush=True)
    if sweep and load_view(folder, "code_size_sweep", dataset=data.spec, sizes=SWEEP_SIZES) is None:
        start = time.time()
        result = error_against_code_size(data.x_train, data.x_test, SWEEP_SIZES, threads=1)
        save_view(folder, "code_size_sweep", result, dataset=data.spec, sizes=SWEEP_SIZES)
        print(f"{folder.name}: code-size sweep {time.time() - start:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="checkpoint folders, e.g. pretrained/mnist-sample-conv")
    parser.add_argument("--skip", nargs="*", default=[], choices=["maps", "few-labels", "sweep"])
    args = parser.parse_args()
    for folder in args.folders:
        precompute(folder, "maps" not in args.skip, "few-labels" not in args.skip, "sweep" not in args.skip)


if __name__ == "__main__":
    main()
