"""Layer 4, training: the loop (`loop.fit`), one training request end to end (`request`), the
queue of training jobs shared by a server (`queue`), threads and devices (`runtime`).
Imports system, data, models and checkpoints."""
