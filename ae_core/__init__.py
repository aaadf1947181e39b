"""Latent Lab's core: autoencoders, training, datasets and checkpoints (no UI code here).

The names below come from ``ae_core.models`` when first used (PEP 562), so importing a
submodule that needs no torch (the training queue's consumer, the data folder's paths) does not
load torch: about 270 MB less for the consumer of a classroom server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["MODELS", "AEOutput", "Autoencoder", "build_model", "interpolate", "model_from_config"]

if TYPE_CHECKING:
    from ae_core.models import MODELS, AEOutput, Autoencoder, build_model, interpolate, model_from_config


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module("ae_core.models"), name)
    raise AttributeError(f"module 'ae_core' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
