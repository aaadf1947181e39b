"""Layer 5, training: the loop (``loop.fit``), its save/resume callbacks (``checkpointing``), one
training request end to end (``request``), the queue of training jobs shared by a server (``queue``),
threads and devices (``runtime``). Imports the layers below: system, data, models, explore, checkpoints."""
