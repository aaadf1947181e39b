"""Latent Lab's core: autoencoders, training, datasets and checkpoints (no UI code here)."""

from ae_core.models import MODELS, AEOutput, Autoencoder, build_model, interpolate, model_from_config

__all__ = ["MODELS", "AEOutput", "Autoencoder", "build_model", "interpolate", "model_from_config"]
