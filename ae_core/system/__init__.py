"""Layer 0 (the bottom), the machine: what one request may cost (``limits``), where the data
folder is (``paths``), the disk cache of computed arrays (``cache``),
the CPU cores it may use (``cores``). Imports nothing else from ae_core."""
