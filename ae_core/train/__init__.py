"""Layer 4, training: its settings (`settings.TrainingSettings`, the one set of defaults), the
loop (`loop.fit`, built from `steps`, reporting through `progress`), one training request end to
end (`request`), the queue of training jobs shared by a server (`queue`) and its child process
(`worker`), threads and devices (`runtime`). Imports system, data, models and checkpoints."""
