"""Checkpoints: folders of ``config.json`` + safetensors weights, their epoch snapshots, and zips."""

from ae_core.checkpoints.archive import check_upload_dataset, export_zip, import_zip, load_checkpoint
from ae_core.checkpoints.config import CheckpointConfig, ModelConfig, parameter_count
from ae_core.checkpoints.folder import (
    Checkpoint,
    CheckpointError,
    check_compatible,
    load_folder,
    load_training_state,
    parse_config,
    read_config,
    save_checkpoint,
)
from ae_core.checkpoints.snapshots import list_snapshots, load_snapshot, save_snapshot

__all__ = [
    "Checkpoint",
    "CheckpointConfig",
    "CheckpointError",
    "ModelConfig",
    "check_compatible",
    "check_upload_dataset",
    "export_zip",
    "import_zip",
    "list_snapshots",
    "load_checkpoint",
    "load_folder",
    "load_snapshot",
    "load_training_state",
    "parameter_count",
    "parse_config",
    "read_config",
    "save_checkpoint",
    "save_snapshot",
]
