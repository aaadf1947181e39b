"""Layer 5, training: its settings (``settings.TrainingSettings``, the one set of defaults), the
loop (``loop.fit``, built from ``steps``, reporting through ``progress``), its save/resume callbacks
(``checkpointing``), one training request end to end (``request``), the queue of training jobs
shared by a server (``queue``) and its child process (``worker``), threads and devices
(``runtime``). Imports the layers below: system, data, models, explore, checkpoints."""
