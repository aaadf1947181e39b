"""The library's own English words that pages show (model descriptions, option help, score and
threshold rules, noise kinds, filter and method names, class names), for the catalog.

ae_core stays English and knows nothing of translation; pages show these texts with
``_(text)``. Babel reads them from here (babel.cfg maps this file to :func:`extract`), so a
description changed in the library shows up as a missing catalog entry, not as English on screen.
"""

from __future__ import annotations

from collections.abc import Iterator


def library_texts() -> Iterator[tuple[str, str]]:
    """Every (text, where it comes from) the pages pass through ``_()`` from the library."""
    from ae_core.apps.anomaly import SCORES, STRATEGIES
    from ae_core.apps.denoising import CLASSICAL
    from ae_core.apps.few_labels import METHODS
    from ae_core.data.builtin import SHAPE_KINDS
    from ae_core.data.download import FAMILIES
    from ae_core.explore.projectors import TSNEProjector, UMAPProjector
    from ae_core.models import MODELS
    from ae_core.models.guide import OPTION_GUIDE
    from ae_core.models.noise import NOISE_KINDS

    for name, cls in MODELS.items():
        yield cls.description, f"ae_core.models.MODELS[{name!r}].description"
    for name, (text, _choices) in OPTION_GUIDE.items():
        yield name.replace("_", " "), f"the label of model option {name!r}"
        yield text, f"ae_core.models.guide.OPTION_GUIDE[{name!r}]"
    for name, text in SCORES.items():
        yield name, "an anomaly score's name (ae_core.apps.anomaly.SCORES)"
        yield text, f"ae_core.apps.anomaly.SCORES[{name!r}]"
    for name, text in STRATEGIES.items():
        yield text, f"ae_core.apps.anomaly.STRATEGIES[{name!r}] (threshold rule {name!r})"
    for kind in ("none", *NOISE_KINDS):
        yield kind, "a kind of noise (ae_core.models.noise.NOISE_KINDS)"
    for name in CLASSICAL:
        yield name, "a classical denoising filter (ae_core.apps.denoising.CLASSICAL)"
    yield "variance", "the score ae_core.explore.sampling.dimension_order ranks code dimensions by (or KL)"
    for method in METHODS:
        yield method, "a few-labels method (ae_core.apps.few_labels.METHODS)"
    yield "training the autoencoder on all the (unlabelled) training data", "ae_core.apps.few_labels progress"
    for projector in (UMAPProjector, TSNEProjector):
        yield projector.note, f"ae_core.explore.projectors.{projector.__name__}.note: 'Decode is {{note}}.'"
    for kind in SHAPE_KINDS:
        yield kind, "a class of the shapes dataset"
    for name in FAMILIES["fashion-mnist"][2]:
        yield name, "a class of Fashion-MNIST"


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list[str]]]:
    """A Babel extraction method: the texts of :func:`library_texts` (the file itself is not read)."""
    seen = set()
    for line, (text, where) in enumerate(library_texts(), start=1):
        if text and text not in seen:
            seen.add(text)
            yield line, None, text, [where]
